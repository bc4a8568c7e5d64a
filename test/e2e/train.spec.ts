import { join } from 'node:path'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder } from './project-setup'

test('trains a CNN with live curves, cancels a run, and lists both runs', async ({ app, page }) => {
  test.setTimeout(180_000)
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 40, 32)
  await createAndImport(page, app.url, join(app.workDir, 'train.pictor'), folder, 80)

  await page.keyboard.press('Control+4')
  // The seed CNN, chosen explicitly: with MobileNetV2's weights installed it would be the default.
  await page.getByRole('combobox', { name: 'Model' }).selectOption('cnn')
  await page.getByLabel('Epochs').fill('6')
  // Each epoch's metrics arrive with its progress event and join the run in place: the run list
  // is read when the run starts and when it ends, never once per epoch.
  const listCalls: string[] = []
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname
    if (path === '/api/call/runs.list' || path === '/api/call/jobs.list') listCalls.push(path)
  })
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  const status = page.getByTestId('train-status')
  await expect(status).toContainText('Epoch', { timeout: 60_000 })
  await expect(page.getByRole('img', { name: 'Accuracy' })).toBeVisible({ timeout: 60_000 })
  const first = page.getByTestId('run-1')
  await expect(first.locator('.status')).toHaveText('done', { timeout: 120_000 })
  await expect(first).toContainText('6/6')
  await expect(first).toContainText('wasm')
  expect(listCalls.filter((path) => path.endsWith('runs.list')).length).toBeLessThanOrEqual(3)

  // A second, long run is cancelled once it has finished an epoch, and can be resumed later.
  await page.getByLabel('Epochs').fill('500')
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  const second = page.getByTestId('run-2')
  await expect(second).toContainText(/[1-9]\d*\/500/, { timeout: 60_000 })
  await page.getByRole('button', { name: 'Cancel training' }).click()
  await expect(second.locator('.status')).toHaveText('cancelled', { timeout: 10_000 })
  await expect(second.getByRole('button', { name: 'Resume' })).toBeVisible()

  await page.getByRole('button', { name: 'Delete run 1' }).click()
  await page.getByRole('button', { name: 'Delete run #1' }).click()
  await expect(page.getByTestId('run-1')).toHaveCount(0)
})
