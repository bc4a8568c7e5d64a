import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from './fixtures'

test('creates a project, shows the empty library, and keeps it across reloads', async ({ app, page }) => {
  await page.goto(app.url)
  // The token is traded for a cookie and never stays in the address bar.
  await expect(page).toHaveURL(`${app.origin}/`)
  await expect(page.getByRole('heading', { name: 'Pictor', level: 1 })).toBeVisible()

  const file = join(app.workDir, 'flowers.pictor')
  await page.getByLabel('Project file path').fill(file)
  await page.getByLabel('Name (optional)').fill('Flowers')
  await page.getByRole('button', { name: 'Create project' }).click()

  await expect(page.getByRole('heading', { name: 'Library' })).toBeVisible()
  await expect(page.getByTestId('library-empty')).toContainText('No images yet')
  await expect(page.getByTestId('count-total')).toHaveText('0')
  await expect(page.getByRole('navigation', { name: 'Sections' })).toContainText('Flowers')
  await expect(page.getByTestId('backend')).toContainText('Backend: WebAssembly')
  // onnxruntime-node is installed by npm ci here (its CPU runtime ships in the npm package).
  await expect(page.getByTestId('inference')).toContainText(/Inference: ONNX Runtime \d/)
  expect(existsSync(file)).toBe(true)

  // Every sidebar section exists and answers its keyboard shortcut.
  for (const section of ['Label', 'Balance', 'Train', 'Review', 'Export']) {
    await page.getByRole('button', { name: new RegExp(`^${section}`) }).click()
    await expect(page.getByRole('heading', { name: section, level: 1 })).toBeVisible()
  }
  await page.keyboard.press('Control+1')
  await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()

  await page.reload()
  await expect(page.getByTestId('library-empty')).toBeVisible()
})

test('lists recent projects and reopens one after closing it', async ({ app, page }) => {
  await page.goto(app.url)
  const file = join(app.workDir, 'birds.pictor')
  await page.getByLabel('Project file path').fill(file)
  await page.getByRole('button', { name: 'Create project' }).click()
  await expect(page.getByTestId('library-empty')).toBeVisible()

  await page.getByRole('button', { name: 'Close project' }).click()
  const recent = page.getByRole('region', { name: 'Recent projects' })
  await expect(recent).toContainText('birds')
  await recent.getByRole('button', { name: /birds/ }).first().click()
  await expect(page.getByTestId('library-empty')).toBeVisible()
})

test('shows a clear error for a file that is not a project', async ({ app, page }) => {
  await page.goto(app.url)
  await page.getByLabel('Existing project path').fill(join(app.workDir, 'nope.pictor'))
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(page.getByRole('alert')).toContainText('does not exist')
})

test('refuses every request that does not carry the launch token', async ({ app, playwright }) => {
  const anonymous = await playwright.request.newContext({ baseURL: app.origin })
  const call = await anonymous.post('/api/call/app.info', { data: {} })
  expect(call.status()).toBe(401)
  expect(await call.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } })
  expect((await anonymous.get('/')).status()).toBe(401)
  expect((await anonymous.get('/?token=not-the-token')).status()).toBe(401)
  expect((await anonymous.get('/api/events')).status()).toBe(401)

  const authorised = await playwright.request.newContext({
    baseURL: app.origin,
    extraHTTPHeaders: { authorization: `Bearer ${app.token}` }
  })
  const ok = await authorised.post('/api/call/app.info', { data: {} })
  expect(ok.status()).toBe(200)
  expect(await ok.json()).toMatchObject({ ok: true, value: { transport: 'browser' } })
  await anonymous.dispose()
  await authorised.dispose()
})
