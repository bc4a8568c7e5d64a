import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
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

/** The process id holding a running run's lease, read from the project file as another process would. */
function leaseHolder(project: string, runId: number): number | undefined {
  const db = new BetterSqlite3(project, { readonly: true })
  try {
    return db.prepare("SELECT lease_pid FROM training_runs WHERE id = ? AND status = 'running'").pluck().get(runId) as number | undefined
  } finally {
    db.close()
  }
}

test('a run whose app was killed shows as interrupted after a restart, and Resume trains it to done', async ({ app, page }) => {
  test.setTimeout(180_000)
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 20, 48)
  const project = join(app.workDir, 'killed.pictor')
  await createAndImport(page, app.url, project, folder, 40)

  await page.keyboard.press('Control+4')
  await page.getByRole('combobox', { name: 'Model' }).selectOption('cnn')
  await page.getByLabel('Epochs').fill('3')
  // Large enough images and small batches that the run trains for seconds: the kill lands mid-run.
  await page.getByText('Advanced settings').click()
  await page.getByLabel('Image size (px)').fill('96')
  await page.getByLabel('Batch size').fill('4')
  await page.getByRole('button', { name: 'Train', exact: true }).click()

  // kill -9 of the app while it trains: the process holding the run's lease (its pid is in the project).
  await expect.poll(() => leaseHolder(project, 1), { timeout: 60_000, intervals: [25] }).toBeGreaterThan(0)
  process.kill(leaseHolder(project, 1)!, 'SIGKILL')

  const restarted = await app.restart()
  await page.goto(restarted.url)
  await page.getByRole('region', { name: 'Recent projects' }).getByRole('button', { name: /killed/ }).first().click()
  await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
  await page.keyboard.press('Control+4')
  const run = page.getByTestId('run-1')
  await expect(run.locator('.status')).toHaveText('interrupted')
  await run.getByRole('button', { name: 'Resume' }).click()
  await expect(run.locator('.status')).toHaveText('done', { timeout: 120_000 })
  await expect(run).toContainText('3/3')
  await expect(run.getByRole('button', { name: 'Resume' })).toHaveCount(0)
})
