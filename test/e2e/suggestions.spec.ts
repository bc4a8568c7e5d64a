import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { APIRequestContext, Page } from '@playwright/test'
import sharp from 'sharp'
import { expect, test } from './fixtures'

// Model-assisted labeling end to end: a project with labeled and unlabeled images and a tiny CNN
// trained through the API (setup), then everything the user does in the Label view.

/** Reddish or bluish noisy 32×32 PNGs: `red/` and `blue/` are labeled, `folder`-top files are not. */
async function makeFolder(root: string): Promise<void> {
  const write = async (dir: string, prefix: string, base: readonly number[], count: number, offset: number) => {
    mkdirSync(join(root, dir), { recursive: true })
    for (let index = 0; index < count; index++) {
      let seed = (index + offset) * 7919 + base[0]!
      const pixels = Buffer.alloc(32 * 32 * 3)
      for (let p = 0; p < pixels.length; p++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        pixels[p] = Math.min(255, base[p % 3]! + (seed >>> 25))
      }
      await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(root, dir, `${prefix}-${index}.png`))
    }
  }
  await write('red', 'r', [200, 40, 40], 12, 0)
  await write('blue', 'b', [40, 40, 200], 12, 0)
  await write('', 'new-red', [200, 40, 40], 4, 100)
  await write('', 'new-blue', [40, 40, 200], 4, 100)
}

async function call<T>(api: APIRequestContext, method: string, request: unknown): Promise<T> {
  const response = await api.post(`/api/call/${method}`, { data: request })
  const envelope = (await response.json()) as { ok: boolean; value?: T; error?: { message: string } }
  if (!envelope.ok) throw new Error(`${method}: ${envelope.error?.message}`)
  return envelope.value as T
}

const labeled = (page: Page) => page.getByTestId('label-progress')
const inFilter = (page: Page) => page.locator('.status-line')

test('suggests labels with a trained model, accepts one with Enter and the rest above a threshold, and undoes', async ({
  app,
  page,
  playwright
}) => {
  test.setTimeout(90_000)
  const folder = join(app.workDir, 'photos')
  await makeFolder(folder)
  const api = await playwright.request.newContext({ baseURL: app.origin, extraHTTPHeaders: { authorization: `Bearer ${app.token}` } })
  await call(api, 'project.create', { path: join(app.workDir, 'suggest.pictor'), name: 'Suggest' })
  await call(api, 'import.start', { folder })
  await expect.poll(async () => (await call<{ total: number }>(api, 'library.summary', {})).total, { timeout: 20_000 }).toBe(32)
  await call(api, 'train.start', { settings: { model: 'cnn', epochs: 3, imageSize: 32, batchSize: 8, learningRate: 0.003, backend: 'wasm' } })
  await expect
    .poll(async () => (await call<{ status: string }[]>(api, 'runs.list', {}))[0]?.status, { timeout: 45_000 })
    .toBe('done')

  await page.goto(app.url)
  // The view keys work once the app has loaded the open project.
  await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
  await expect(page.getByText('suggest.pictor')).toBeVisible()
  await page.keyboard.press('Control+2')
  await expect(labeled(page)).toContainText('24 of 32 labeled')
  await expect(page.getByTestId('cell-suggestion')).toHaveCount(0)

  // Suggest labels with the latest run: every unlabeled image gets a dashed suggestion chip.
  await page.getByRole('button', { name: 'Suggest labels' }).click()
  await expect(page.getByTestId('suggest-summary')).toContainText('8 unlabeled images have a suggestion', { timeout: 20_000 })
  await page.getByLabel('Label filter').selectOption('unlabeled')
  await page.getByLabel('Sort').selectOption('uncertainty')
  await expect(inFilter(page)).toContainText('/ 8 in this filter')
  // The grid keeps the image it was on; Home goes to the least confident suggestion.
  await page.keyboard.press('Home')
  await expect(inFilter(page)).toContainText('1 / 8 in this filter')
  await expect(page.getByTestId('cell-suggestion')).toHaveCount(8)
  await expect(page.getByTestId('cell-suggestion').first()).toHaveText(/^(red|blue) \d+%$/)
  await page.getByLabel('Suggestion filter').selectOption('yes')
  await expect(inFilter(page)).toContainText('1 / 8 in this filter')

  // The detail view shows it too, and the shortcut sheet lists Enter.
  await page.keyboard.press(' ')
  await expect(page.getByRole('dialog')).toContainText(/Suggestion(red|blue), \d+% \(run #1\)/)
  await page.keyboard.press('Escape')
  await page.keyboard.press('?')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toContainText("Enteraccept the model's suggestion")
  await page.keyboard.press('Escape')

  // Enter accepts the current image's suggestion and moves on; undo brings it back.
  await page.keyboard.press('Enter')
  await expect(labeled(page)).toContainText('25 of 32 labeled')
  await expect(inFilter(page)).toContainText('1 / 7 in this filter')
  await expect(page.getByTestId('suggest-summary')).toContainText('7 unlabeled images')
  await page.keyboard.press('Control+z')
  await expect(labeled(page)).toContainText('24 of 32 labeled')
  await expect(inFilter(page)).toContainText('/ 8 in this filter')
  await page.keyboard.press('Enter')
  await expect(labeled(page)).toContainText('25 of 32 labeled')

  // Accept all ≥ 50%: with two classes the top probability is at least a half, so all the rest.
  await page.getByLabel('Confidence threshold').fill('50')
  const acceptAll = page.getByTestId('accept-all')
  await expect(acceptAll).toHaveText('Accept 7 ≥ 50%')
  await acceptAll.click()
  await expect(labeled(page)).toContainText('32 of 32 labeled')
  await expect(page.getByTestId('grid-empty')).toBeVisible()
  await expect(page.getByTestId('suggest-summary')).toContainText('0 unlabeled images')

  // The model's labels are right: every new-red image is red, every new-blue one blue.
  const labels = await call<{ relPath: string; classId: number | null; labelOrigin: string | null }[]>(api, 'images.get', {
    ids: (await call<{ ids: number[] }>(api, 'images.query', { status: 'ok' })).ids
  })
  const classes = await call<{ id: number; name: string }[]>(api, 'classes.list', {})
  const nameOf = (id: number | null) => classes.find((item) => item.id === id)?.name
  for (const image of labels.filter((item) => item.relPath.startsWith('new-'))) {
    expect(image.labelOrigin, image.relPath).toBe('model')
    expect(nameOf(image.classId), image.relPath).toBe(image.relPath.startsWith('new-red') ? 'red' : 'blue')
  }

  // One undo takes the whole bulk accept back.
  await page.keyboard.press('Control+z')
  await expect(labeled(page)).toContainText('25 of 32 labeled')
  await expect(inFilter(page)).toContainText('/ 7 in this filter')
  await api.dispose()
})
