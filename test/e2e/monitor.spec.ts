import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, trainCnn } from './project-setup'

// The Monitor view (issue 16): serve a trained run from the app, call it from outside as another
// program would, and watch the figures move without touching the page; then stop it and find the
// port closed.

test('serves a run from Monitor, shows its URL and curl, counts requests live, and stops', async ({ app, page }) => {
  test.setTimeout(240_000)
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 20, 24)
  await createAndImport(page, app.url, join(app.workDir, 'monitor.pictor'), folder, 40)
  // Nothing trained yet: nothing to serve, and the view says what to do.
  await page.keyboard.press('Control+8')
  await expect(page.getByText('Train a model first')).toBeVisible()
  await expect(page.getByRole('button', { name: 'Start server' })).toHaveCount(0)
  await trainCnn(page, 1, 2, 120_000)

  await page.keyboard.press('Control+8')
  await expect(page.getByRole('heading', { name: 'Monitor', exact: true })).toBeVisible()
  const server = page.getByRole('form', { name: 'Server' })
  await expect(server.getByRole('combobox', { name: 'Run to serve' })).toContainText('#1 CNN')
  await expect(server).toContainText('127.0.0.1 only')
  // Any free port, so parallel test runs never collide on 8500.
  await server.getByRole('spinbutton', { name: 'Port' }).fill('0')
  await server.getByRole('button', { name: 'Start server' }).click()

  const url = page.getByTestId('serve-url')
  await expect(url).toHaveText(/^http:\/\/127\.0\.0\.1:\d+$/, { timeout: 60_000 })
  const address = (await url.textContent())!
  await expect(page.getByText(`curl --data-binary @cat.jpg ${address}/predict`)).toBeVisible()
  await expect(page.getByRole('button', { name: 'Copy the curl example' })).toBeVisible()
  await expect(page.getByTestId('serve-requests')).toHaveText('0')
  await expect(page.getByText('No request answered yet.')).toBeVisible()

  // Three predictions from outside the app: the page shows them within a report or two.
  const redFolder = join(folder, 'red')
  const image = readFileSync(join(redFolder, readdirSync(redFolder)[0]!))
  for (let i = 0; i < 3; i++) {
    const answer = await fetch(`${address}/predict`, { method: 'POST', body: image })
    expect(answer.status).toBe(200)
  }
  await expect(page.getByTestId('serve-requests')).toHaveText('3', { timeout: 10_000 })
  await expect(page.getByTestId('serve-errors')).toHaveText('0')
  await expect(page.getByTestId('serve-p50')).toHaveText(/^\d+(\.\d+)? ms$/)
  await expect(page.getByTestId('serve-p99')).toHaveText(/^\d+(\.\d+)? ms$/)
  await expect(page.getByRole('img', { name: /^≤/ })).toBeVisible()
  await expect(page.getByRole('table')).toContainText('red')
  // Three requests are too few to judge drift.
  await expect(page.getByTestId('serve-drift')).toHaveText('Too few requests')

  // Leaving the view keeps the server; coming back shows it again.
  await page.keyboard.press('Control+1')
  await page.keyboard.press('Control+8')
  await expect(page.getByTestId('serve-url')).toHaveText(address)
  await expect(page.getByTestId('serve-requests')).toHaveText('3')

  await page.getByRole('button', { name: 'Stop server' }).click()
  await expect(page.getByRole('button', { name: 'Start server' })).toBeEnabled({ timeout: 20_000 })
  await expect(page.getByTestId('serve-url')).toHaveCount(0)
  await expect(fetch(`${address}/v2/health/live`)).rejects.toThrow()
})
