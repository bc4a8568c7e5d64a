import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import BetterSqlite3 from 'better-sqlite3'
import sharp from 'sharp'
import { expect, test } from './fixtures'
import { BASE_MODEL, missingShared, SHARED_MODELS_DIR } from '../helpers/shared-assets'
import { createAndImport, trainCnn, withOwnApp, writeShape } from './project-setup'

const COLOURS = { red: [210, 40, 40], green: [40, 190, 60], blue: [40, 60, 210] } as const
type Colour = keyof typeof COLOURS

/** A 24×24 noisy image of one colour: a small CNN tells the three apart within a few epochs. */
async function writeImage(path: string, colour: Colour, seed: number): Promise<void> {
  const base = COLOURS[colour]
  const pixels = Buffer.alloc(24 * 24 * 3)
  let state = seed * 7919 + base[0]
  for (let index = 0; index < pixels.length; index++) {
    state = (state * 1103515245 + 12345) % 2147483648
    pixels[index] = Math.min(255, Math.max(0, base[index % 3]! - 20 + (state >>> 26)))
  }
  await sharp(pixels, { raw: { width: 24, height: 24, channels: 3 } }).png().toFile(path)
}

/** Three colour classes of `perClass` images, plus `wrong` red images filed under blue. */
async function makeColourFolder(root: string, perClass: number, wrong: number): Promise<void> {
  for (const colour of Object.keys(COLOURS) as Colour[]) {
    mkdirSync(join(root, colour), { recursive: true })
    for (let index = 0; index < perClass; index++) await writeImage(join(root, colour, `${colour}-${index}.png`), colour, index)
  }
  for (let index = 0; index < wrong; index++) await writeImage(join(root, 'blue', `mislabeled-red-${index}.png`), 'red', 1000 + index)
}

/** Opens Review, which evaluates the newest run over every labeled image by itself. */
async function openReviewAndEvaluate(page: Page): Promise<void> {
  await page.keyboard.press('Control+5')
  await page.getByRole('radio', { name: 'All' }).click()
  await expect(page.getByRole('table', { name: 'Confusion matrix' })).toBeVisible({ timeout: 60_000 })
}

const CELL = /^true (\w+), predicted (\w+): (\d+) images?$/

test('evaluates a CNN, opens an off-diagonal cell, relabels with a hotkey, undoes, and retrains when stale', async ({ app, page }) => {
  test.setTimeout(90_000)
  const folder = join(app.workDir, 'colours')
  await makeColourFolder(folder, 14, 3)
  await createAndImport(page, app.url, join(app.workDir, 'review.pictor'), folder, 45)
  await trainCnn(page, 1, 6, 60_000)
  await openReviewAndEvaluate(page)
  await expect(page.getByTestId('review-count')).toHaveText('45')
  await expect(page.getByRole('table', { name: 'Per-class metrics' })).toContainText('red')

  // The red images filed under blue are predicted red: an off-diagonal cell with images in it.
  const matrix = page.getByRole('table', { name: 'Confusion matrix' })
  const labels = await matrix.getByRole('button').evaluateAll((buttons) =>
    buttons.filter((button) => !button.hasAttribute('disabled')).map((button) => button.getAttribute('aria-label') ?? '')
  )
  const offDiagonal = labels.map((label) => CELL.exec(label)).find((match) => match && match[1] !== match[2])
  expect(offDiagonal, `an off-diagonal cell among ${labels.join('; ')}`).toBeTruthy()
  const [, trueName, predictedName, before] = offDiagonal!
  const count = Number(before)
  await matrix.getByRole('button', { name: offDiagonal![0] }).click()
  await expect(page.getByTestId('items-count')).toHaveText(`${count} image${count === 1 ? '' : 's'}`)
  await expect(page.getByTestId('review-item').first().getByTestId('item-true')).toHaveText(trueName!)

  // The labeling hotkey of the predicted class moves the image out of this cell and onto the diagonal.
  const keys = (await page.locator('.keys').textContent()) ?? ''
  const hotkey = new RegExp(`(\\w) ${predictedName}\\b`).exec(keys)?.[1]
  expect(hotkey, `a hotkey for ${predictedName} in "${keys}"`).toBeTruthy()
  const cellButton = (n: number) => matrix.getByRole('button', { name: `true ${trueName}, predicted ${predictedName}: ${n} image${n === 1 ? '' : 's'}` })
  // Space shows the current image large, with the model's prediction; the class keys work there too.
  await page.keyboard.press(' ')
  const dialog = page.getByRole('dialog', { name: /^Details of / })
  await expect(dialog).toContainText(`Prediction${predictedName}`)
  await page.keyboard.press(hotkey!)
  await expect(cellButton(count - 1)).toBeVisible()
  await expect(page.getByTestId('items-count')).toHaveText(`${count - 1} image${count - 1 === 1 ? '' : 's'}`)
  await expect(page.getByTestId('stale-banner')).toBeVisible()
  // It follows the cursor to the next image of the cell, or closes when none is left; Escape closes it.
  if (count > 1) {
    await expect(dialog).toBeVisible()
    await page.keyboard.press('Escape')
  }
  await expect(dialog).toBeHidden()

  // Undo puts it back, in the matrix and in the list.
  await page.keyboard.press('Control+z')
  await expect(cellButton(count)).toBeVisible()
  await expect(page.getByTestId('items-count')).toHaveText(`${count} image${count === 1 ? '' : 's'}`)

  // Row percentages instead of counts.
  await page.getByLabel('row %').check()
  await expect(cellButton(count)).toHaveText(/%$/)

  // One click retrains with the same settings and evaluates the new run.
  await page.keyboard.press(hotkey!)
  await expect(cellButton(count - 1)).toBeVisible()
  await page.getByRole('button', { name: 'Retrain with the same settings' }).click()
  await expect(page.getByRole('combobox', { name: 'Run' })).toHaveValue('2', { timeout: 60_000 })
  await expect(page.getByTestId('review-count')).toHaveText('45', { timeout: 30_000 })
  await expect(page.getByTestId('stale-banner')).toHaveCount(0)

  // Top losses: the same grid, highest loss first; mistakes only until asked for every image.
  await page.getByRole('tab', { name: 'Top losses' }).click()
  await expect(page.getByRole('region', { name: 'Mistakes, highest loss first' })).toBeVisible()
  await expect(page.getByTestId('items-wrong')).toHaveText(/^\d+ misclassified$/)
  await page.getByRole('checkbox', { name: 'Mistakes only' }).uncheck()
  const losses = page.getByRole('region', { name: 'Highest loss first' })
  await expect(losses.getByTestId('items-count')).toHaveText('45 images')
  // Click and Shift+click select a range (a relabel key would then label them all); Escape clears it.
  await losses.getByTestId('review-item').nth(0).click()
  await losses.getByTestId('review-item').nth(2).click({ modifiers: ['Shift'] })
  await expect(losses.getByText('3 selected')).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(losses.getByText('3 selected')).toHaveCount(0)
  await page.keyboard.press('ArrowRight')
  await expect(losses.getByTestId('review-item').nth(3)).toHaveAttribute('aria-current', 'true')
})

test('checks robustness and draws accuracy against ε', async ({ app, page }) => {
  test.setTimeout(90_000)
  const folder = join(app.workDir, 'colours')
  await makeColourFolder(folder, 12, 0)
  await createAndImport(page, app.url, join(app.workDir, 'robust.pictor'), folder, 36)
  await page.keyboard.press('Control+5')
  await expect(page.getByTestId('review-no-runs')).toContainText('Train a model first')
  await page.getByRole('button', { name: 'Go to Train' }).click()
  await expect(page.getByRole('heading', { name: 'Train', level: 1 })).toBeVisible()
  await trainCnn(page, 1, 6, 60_000)
  await page.keyboard.press('Control+5')
  await page.getByRole('tab', { name: 'Robustness' }).click()
  await expect(page.getByText('has not been checked yet')).toBeVisible()
  await page.getByRole('button', { name: 'Check robustness' }).click()
  const chart = page.getByTestId('robustness-chart')
  await expect(chart).toBeVisible({ timeout: 60_000 })
  await expect(chart.locator('circle')).toHaveCount(5)
  await expect(chart).toHaveAttribute('aria-label', /ε 0: [\d.]+%.*ε 8\/255: [\d.]+%/)
  await expect(page.getByTestId('robustness-summary')).toContainText('Run #1')
})

test('says clearly that finding label errors needs the base model when it is missing', async ({ page }) => {
  await withOwnApp('issues-nomodel', (workDir) => ({ PICTOR_MODELS_DIR: join(workDir, 'no-models') }), async (app) => {
    await page.goto(app.url)
    await page.getByLabel('Project file path').fill(join(app.workDir, 'x.pictor'))
    await page.getByRole('button', { name: 'Create project' }).click()
    await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
    await page.keyboard.press('Control+5')
    await page.getByRole('tab', { name: 'Label issues' }).click()
    await page.getByRole('button', { name: 'Find label errors' }).click()
    await expect(page.getByRole('alert')).toContainText('needs the MobileNetV2 base model')
  })
})

const MODELS_DIR = SHARED_MODELS_DIR
const NO_BASE_MODEL = missingShared(BASE_MODEL)

/** Red discs and blue squares on grey, 10 of each, and two discs filed as squares. */
async function makeShapeFolder(root: string): Promise<void> {
  for (let index = 0; index < 10; index++) {
    await writeShape(join(root, 'disc', `disc-${index}.png`), 'disc', index)
    await writeShape(join(root, 'square', `square-${index}.png`), 'square', index)
  }
  await writeShape(join(root, 'square', 'oops-disc-a.png'), 'disc', 3)
  await writeShape(join(root, 'square', 'oops-disc-b.png'), 'disc', 7)
}

test('finds suspected label errors, accepts one, and remembers the verdict after a reload', async ({ page }) => {
  test.skip(NO_BASE_MODEL !== null, NO_BASE_MODEL ?? '')
  test.setTimeout(120_000)
  await withOwnApp('issues', () => ({ PICTOR_MODELS_DIR: MODELS_DIR }), async (app) => {
    const folder = join(app.workDir, 'shapes')
    await makeShapeFolder(folder)
    await createAndImport(page, app.url, join(app.workDir, 'issues.pictor'), folder, 22)
    await page.keyboard.press('Control+5')
    await page.getByRole('tab', { name: 'Label issues' }).click()
    await page.getByRole('button', { name: 'Find label errors' }).click()
    const first = page.getByTestId('label-issue').first()
    await expect(first).toBeVisible({ timeout: 90_000 })
    await expect(page.getByTestId('issues-summary')).toContainText('of 22 examined')
    // The most suspicious image is a disc filed under square, and the suggestion is disc.
    await expect(first).toContainText('oops-disc')
    await expect(first.getByRole('button', { name: 'Relabel as disc' })).toBeVisible()

    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('Enter')
    await expect(first.getByTestId('issue-verdict')).toHaveText('accepted')
    await expect(page.getByRole('status').filter({ hasText: 'Relabeled' })).toContainText('as disc')
    // The cursor moved on to the next suspect: 'n' keeps its label.
    const second = page.getByTestId('label-issue').nth(1)
    await expect(second).toHaveAttribute('aria-current', 'true')
    await page.keyboard.press('n')
    await expect(second.getByTestId('issue-verdict')).toHaveText('kept')

    await page.reload()
    await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
    await page.keyboard.press('Control+5')
    await page.getByRole('tab', { name: 'Label issues' }).click()
    await expect(page.getByTestId('label-issue').first().getByTestId('issue-verdict')).toHaveText('accepted')
    await page.getByLabel('Hide decided').check()
    await expect(page.getByTestId('label-issue').filter({ hasText: 'accepted' })).toHaveCount(0)
  })
})

test('reviews a MobileNetV2 run, fixes a mislabeled disc from its cell, and retrains on cached features', async ({ page }) => {
  test.skip(NO_BASE_MODEL !== null, NO_BASE_MODEL ?? '')
  test.setTimeout(120_000)
  await withOwnApp('review-mobilenet', () => ({ PICTOR_MODELS_DIR: MODELS_DIR }), async (app) => {
    const folder = join(app.workDir, 'shapes')
    await makeShapeFolder(folder)
    await createAndImport(page, app.url, join(app.workDir, 'shapes.pictor'), folder, 22)
    await page.keyboard.press('Control+4')
    await expect(page.getByLabel('Model')).toHaveValue('mobilenetv2')
    await page.getByRole('button', { name: 'Train', exact: true }).click()
    await expect(page.getByTestId('run-1').locator('.status')).toHaveText('done', { timeout: 90_000 })
    await openReviewAndEvaluate(page)
    await expect(page.getByTestId('review-count')).toHaveText('22')

    // The two discs filed as squares: the head learns shapes, not those two labels.
    const cell = (n: number) => page.getByRole('button', { name: `true square, predicted disc: ${n} image${n === 1 ? '' : 's'}` })
    const found = await page.getByRole('button', { name: /^true square, predicted disc: [1-9]/ }).getAttribute('aria-label')
    const count = Number(CELL.exec(found ?? '')?.[3])
    await cell(count).click()
    await expect(page.getByTestId('review-item')).toHaveCount(count)
    const keys = (await page.locator('.keys').textContent()) ?? ''
    await page.keyboard.press(/(\w) disc\b/.exec(keys)![1]!)
    await expect(cell(count - 1)).toBeVisible()
    const banner = page.getByTestId('stale-banner')
    await expect(banner).toContainText('Cached features make this take seconds')
    await banner.getByRole('button', { name: 'Retrain with the same settings' }).click()
    await expect(page.getByRole('combobox', { name: 'Run' })).toHaveValue('2', { timeout: 60_000 })
    await expect(page.getByTestId('review-count')).toHaveText('22', { timeout: 30_000 })
    await expect(banner).toHaveCount(0)
    await expect(page.getByRole('combobox', { name: 'Run' })).toContainText('mobilenetv2')
  })
})

// ---- Issue 14: what a newcomer tripped over in Review, at the window size they used.

/** The boxes of two elements overlap (by more than a rounding pixel). */
function overlaps(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): boolean {
  return a.x < b.x + b.width - 1 && b.x < a.x + a.width - 1 && a.y < b.y + b.height - 1 && b.y < a.y + a.height - 1
}

/** One top-loss tile's labels: "loss 2.30 · p 10%" and whether its label is its prediction. */
async function lossTiles(page: Page): Promise<{ loss: number; wrong: boolean }[]> {
  const tiles = page.getByTestId('review-item')
  await expect(tiles.first()).toBeVisible()
  return tiles.evaluateAll((cells) =>
    cells.map((cell) => {
      const [, label, predicted] = /: labeled (.+), predicted (.+) \(/.exec(cell.getAttribute('aria-label') ?? '') ?? []
      const loss = /loss ([\d.]+)/.exec(cell.querySelector('[data-testid="item-loss"]')?.textContent ?? '')?.[1]
      return { loss: loss === undefined ? Number.NaN : Number(loss), wrong: label !== predicted }
    })
  )
}

test.describe('issue 14 at 1440×900', () => {
  test.use({ viewport: { width: 1440, height: 900 } })

  /** A trained, evaluated project with three red images filed under blue; answers an off-diagonal cell with images. */
  async function reviewColours(app: { workDir: string; url: string }, page: Page) {
    const folder = join(app.workDir, 'colours')
    await makeColourFolder(folder, 14, 3)
    await createAndImport(page, app.url, join(app.workDir, 'first-hour.pictor'), folder, 45)
    await trainCnn(page, 1, 6, 60_000)
    await openReviewAndEvaluate(page)
    const matrix = page.getByRole('table', { name: 'Confusion matrix' })
    const labels = await matrix.getByRole('button').evaluateAll((buttons) =>
      buttons.filter((button) => !button.hasAttribute('disabled')).map((button) => button.getAttribute('aria-label') ?? '')
    )
    const offDiagonal = labels.map((label) => CELL.exec(label)).find((match) => match && match[1] !== match[2])
    expect(offDiagonal, `an off-diagonal cell among ${labels.join('; ')}`).toBeTruthy()
    const [name, trueName, predictedName] = offDiagonal! as unknown as [string, string, string]
    return { matrix, cell: matrix.getByRole('button', { name }), trueName, predictedName }
  }

  test("a cell's images open beside the matrix, the cell highlighted and reachable by keyboard (finding 5)", async ({ app, page }) => {
    test.setTimeout(90_000)
    const { matrix, cell, trueName, predictedName } = await reviewColours(app, page)
    await cell.click()
    await expect(cell).toHaveAttribute('aria-pressed', 'true')
    // Where the eye is: to the right of the matrix, level with it, wholly on screen.
    const panel = page.getByRole('region', { name: `Labeled ${trueName}, predicted ${predictedName}` })
    await expect(panel.getByTestId('review-item').first()).toBeInViewport({ ratio: 0.99 }) // 0.99: a fractional pixel of the grid's rounding is not hidden
    const [matrixBox, panelBox] = [(await matrix.boundingBox())!, (await panel.boundingBox())!]
    expect(panelBox.x, 'the images are to the right of the matrix').toBeGreaterThanOrEqual(matrixBox.x + matrixBox.width)
    expect(panelBox.y, 'and start level with it, not below it').toBeLessThan(matrixBox.y + matrixBox.height)

    // The matrix is one tab stop (the open cell); arrows move to another cell with images, Enter opens it.
    await page.getByLabel('row %').focus()
    await page.keyboard.press('Tab')
    await expect(cell).toBeFocused()
    // Along the row towards the diagonal, whose cell holds the images of that class predicted right.
    const order = await matrix.locator('th[scope="row"]').allTextContents()
    await page.keyboard.press(order.indexOf(predictedName) > order.indexOf(trueName) ? 'ArrowLeft' : 'ArrowRight')
    await expect(cell).not.toBeFocused()
    const moved = page.locator('[data-review-matrix] button:focus')
    await expect(moved).toHaveCount(1)
    const movedName = (await moved.getAttribute('aria-label'))!
    await page.keyboard.press('Enter')
    await expect(matrix.getByRole('button', { name: movedName })).toHaveAttribute('aria-pressed', 'true')
    await expect(cell).toHaveAttribute('aria-pressed', 'false')
    const [, movedTrue, movedPredicted] = CELL.exec(movedName)!
    const movedTitle = movedTrue === movedPredicted ? `${movedTrue}, predicted correctly` : `Labeled ${movedTrue}, predicted ${movedPredicted}`
    await expect(page.getByRole('region', { name: movedTitle })).toBeVisible()
  })

  test('undoing a relabel takes the stale banner away, and the toast covers no row label of the matrix (findings 5, 13)', async ({ app, page }) => {
    test.setTimeout(90_000)
    const { matrix, cell, predictedName } = await reviewColours(app, page)
    await cell.click()
    const keys = (await page.locator('.keys').textContent()) ?? ''
    const hotkey = new RegExp(`(\\w) ${predictedName}\\b`).exec(keys)?.[1]
    expect(hotkey, `a hotkey for ${predictedName} in "${keys}"`).toBeTruthy()
    // A short window, as on a laptop: the matrix reaches the bottom edge, where the toast used to sit.
    await page.setViewportSize({ width: 1280, height: 560 })
    await page.keyboard.press(hotkey!)
    await expect(page.getByTestId('stale-banner')).toBeVisible()
    const rowLabels = matrix.locator('th[scope="row"]')
    await rowLabels.last().evaluate((element) => element.scrollIntoView({ block: 'end' }))
    const toast = page.getByRole('status').filter({ hasText: `as ${predictedName}` })
    await expect(toast).toBeVisible()
    const toastBox = (await toast.boundingBox())!
    const rowBoxes = await rowLabels.evaluateAll((cells) =>
      cells.map((c) => {
        const { x, y, width, height } = c.getBoundingClientRect()
        return { x, y, width, height }
      })
    )
    // Soft: the banner below is a finding of its own, checked whatever the toast does.
    for (const box of rowBoxes) expect.soft(overlaps(toastBox, box), `the toast ${JSON.stringify(toastBox)} over a row label ${JSON.stringify(box)}`).toBe(false)

    // Undo puts the label back as the run read it: the model is not stale any more.
    await page.keyboard.press('Control+z')
    await expect(page.getByRole('status').filter({ hasText: 'Undo:' })).toBeVisible()
    await expect(page.getByTestId('stale-banner')).toHaveCount(0)
  })

  test('top losses show their loss, worst first, mistakes only unless asked otherwise (finding 7)', async ({ app, page }) => {
    test.setTimeout(90_000)
    await reviewColours(app, page)
    await page.getByRole('tab', { name: 'Top losses' }).click()
    const mistakesOnly = page.getByRole('checkbox', { name: 'Mistakes only' })
    await expect(mistakesOnly).toBeChecked()
    const mistakes = await lossTiles(page)
    expect(mistakes.length).toBeGreaterThan(0)
    expect(mistakes.every((tile) => tile.wrong && tile.loss > 0)).toBe(true)
    expect(mistakes.map((tile) => tile.loss)).toEqual(mistakes.map((tile) => tile.loss).sort((a, b) => b - a))
    await mistakesOnly.uncheck()
    await expect(page.getByTestId('items-count')).toHaveText('45 images')
    const all = await lossTiles(page)
    expect(all.some((tile) => !tile.wrong)).toBe(true)
    expect(all.every((tile) => !Number.isNaN(tile.loss))).toBe(true)
    expect(all.map((tile) => tile.loss)).toEqual(all.map((tile) => tile.loss).sort((a, b) => b - a))
  })

  test('Review opens the best run, then the one last reviewed (finding 6)', async ({ app, page, playwright }) => {
    test.setTimeout(150_000)
    const api = await playwright.request.newContext({ baseURL: app.origin, extraHTTPHeaders: { authorization: `Bearer ${app.token}` } })
    const call = async (method: string, data: object) => {
      const envelope = await (await api.post(`/api/call/${method}`, { data })).json()
      expect(envelope, method).toMatchObject({ ok: true })
      return envelope.value
    }
    type Run = { id: number; status: string; summary: { testAccuracy: number | null; valAccuracy: number | null } | null }
    const runs = async (): Promise<Run[]> => call('runs.list', {})
    /** A run that learns next to nothing: one epoch at a learning rate far too small to move the weights. */
    const trainPoorly = async (runId: number) => {
      expect((await call('train.start', { settings: { model: 'cnn', epochs: 1, learningRate: 1e-7 } })).runId).toBe(runId)
      await expect.poll(async () => (await runs()).find((run) => run.id === runId)?.status, { timeout: 60_000 }).toBe('done')
    }
    const folder = join(app.workDir, 'colours')
    await makeColourFolder(folder, 12, 0)
    await createAndImport(page, app.url, join(app.workDir, 'best.pictor'), folder, 36)
    await trainPoorly(1)
    await trainCnn(page, 2, 6, 60_000)
    await trainPoorly(3)
    const score = (run: Run) => run.summary?.testAccuracy ?? run.summary?.valAccuracy ?? -1
    const [third, second, first] = await runs()
    expect(score(second!), 'run 2 learned, runs 1 and 3 did not').toBeGreaterThan(Math.max(score(first!), score(third!)))

    // Not the newest run (3): the best one, and why.
    const picker = page.getByRole('combobox', { name: 'Run' })
    await page.keyboard.press('Control+5')
    await expect(picker).toHaveValue('2')
    await expect(page.getByTestId('review-run-why')).toHaveText(/^best (test|validation) accuracy$/)
    // The one the user chooses is the one Review opens next time, neither the best nor the newest.
    await picker.selectOption('1')
    await expect(page.getByTestId('review-run-why')).toHaveCount(0)
    await page.reload()
    await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
    await page.keyboard.press('Control+5')
    await expect(picker).toHaveValue('1')
    await expect(page.getByTestId('review-run-why')).toHaveText('the run you last reviewed')
    await api.dispose()
  })

  test('the Robustness chart keeps its value labels off the axis labels (finding 13)', async ({ app, page }) => {
    test.setTimeout(90_000)
    const folder = join(app.workDir, 'colours')
    await makeColourFolder(folder, 12, 0)
    const project = join(app.workDir, 'robust.pictor')
    await createAndImport(page, app.url, project, folder, 36)
    await trainCnn(page, 1, 6, 60_000)
    await page.keyboard.press('Control+5')
    await page.getByRole('tab', { name: 'Robustness' }).click()
    await page.getByRole('button', { name: 'Check robustness' }).click()
    await expect(page.getByTestId('robustness-chart')).toBeVisible({ timeout: 60_000 })
    // The newcomer's run scored 95 % unperturbed, which put its label on the "100%" tick: the stored report is given those figures.
    const db = new BetterSqlite3(project)
    try {
      const points = JSON.parse(db.prepare('SELECT points FROM robustness_reports WHERE run_id = 1').pluck().get() as string) as { accuracy: number }[]
      const accuracies = [0.95, 0.9, 0.75, 0.5, 0.05]
      db.prepare('UPDATE robustness_reports SET points = ? WHERE run_id = 1').run(JSON.stringify(points.map((point, index) => ({ ...point, accuracy: accuracies[index] }))))
    } finally {
      db.close()
    }
    await page.reload()
    await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
    await page.keyboard.press('Control+5')
    await page.getByRole('tab', { name: 'Robustness' }).click()
    const chart = page.getByTestId('robustness-chart')
    await expect(chart).toHaveAttribute('aria-label', /ε 0: 95\.0%/)
    const boxes = await chart.evaluate((svg) => {
      const texts = Array.from(svg.querySelectorAll('text') as unknown as ArrayLike<{ getBoundingClientRect(): { x: number; y: number; width: number; height: number }; textContent: string | null; classList: { contains(name: string): boolean } }>).map((text) => {
        const { x, y, width, height } = text.getBoundingClientRect()
        return { text: text.textContent, value: text.classList.contains('value'), box: { x, y, width, height } }
      })
      return { values: texts.filter((text) => text.value), ticks: texts.filter((text) => !text.value) }
    })
    expect(boxes.values).toHaveLength(5)
    for (const value of boxes.values) {
      for (const tick of boxes.ticks) expect(overlaps(value.box, tick.box), `"${value.text}" over "${tick.text}"`).toBe(false)
    }
  })
})
