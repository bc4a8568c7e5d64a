import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, trainCnn } from './project-setup'

// The Train view says where each run's TensorBoard logs are and gives the command to view them;
// the log folder can be chosen for new runs (issue 17).

const eventFiles = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((name) => name.startsWith('events.out.tfevents.')) : [])

test('a run shows its TensorBoard folder and command; a chosen log folder takes the next run', async ({ app, page }) => {
  test.setTimeout(180_000)
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 12, 32)
  await createAndImport(page, app.url, join(app.workDir, 'flowers.pictor'), folder, 24)

  await page.keyboard.press('Control+4')
  await trainCnn(page, 1, 2, 120_000)
  const beside = join(app.workDir, 'flowers.runs')
  const logs = page.getByText('TensorBoard logs of run #1')
  await logs.click()
  await expect(page.getByText(`tensorboard --logdir ${beside}`, { exact: true })).toBeVisible()
  await expect(page.getByText(join(beside, 'run-1'), { exact: true })).toBeVisible()
  expect(eventFiles(join(beside, 'run-1', 'train'))).toHaveLength(1)
  expect(eventFiles(join(beside, 'run-1', 'validation'))).toHaveLength(1)

  const chosen = join(app.workDir, 'my logs')
  await page.getByText('TensorBoard log folder', { exact: true }).click()
  await page.getByLabel('Log folder for new runs').fill(chosen)
  await trainCnn(page, 2, 1, 120_000)
  await page.getByText('TensorBoard logs of run #2').click()
  // Quoted: the folder has a space in it.
  await expect(page.getByText(`tensorboard --logdir "${chosen}"`, { exact: true })).toBeVisible()
  expect(eventFiles(join(chosen, 'run-2', 'train'))).toHaveLength(1)
})
