import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { BASE_MODEL, missingShared } from '../helpers/shared-assets'
import { expect, test } from './fixtures'
import { withOwnApp } from './project-setup'

// Issue 14, "done when": a newcomer's whole loop through the UI — create, import, label, balance,
// train, review, export, predict — every path chosen in the folder browser (the project's name is
// the only thing typed), with a screenshot of every view in test-results/newcomer-*.png. The Label
// view's, with the first-run strip, is the README's picture (docs/screenshot.png).

const SHAPES = ['circles', 'squares', 'triangles'] as const
const COLOURS = ['#e4572e', '#29335c', '#f3a712', '#669bbc', '#a8c686', '#8e44ad']

/**
 * A 96×96 PNG of a coloured shape, its size, place, colour and background clutter varied by `index`:
 * as different from each other as photos are, so no two are near-duplicates that must share a split.
 */
async function writeShape(path: string, shape: (typeof SHAPES)[number], index: number): Promise<void> {
  let seed = index * 7919 + SHAPES.indexOf(shape) * 104729 + 1
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  const r = 14 + random() * 14
  const [cx, cy] = [30 + random() * 36, 30 + random() * 36]
  const fill = COLOURS[Math.floor(random() * COLOURS.length)]
  const clutter = Array.from({ length: 6 }, () => {
    const [x1, y1, x2, y2] = [random() * 96, random() * 96, random() * 96, random() * 96]
    return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#b8bcc6" stroke-width="${1 + random() * 3}"/>`
  }).join('')
  const body =
    shape === 'circles'
      ? `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}"/>`
      : shape === 'squares'
        ? `<rect x="${cx - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" rx="3" fill="${fill}"/>`
        : `<polygon points="${cx},${cy - r} ${cx + r},${cy + r} ${cx - r},${cy + r}" fill="${fill}"/>`
  const ground = `hsl(${Math.floor(random() * 360)}, 25%, 92%)`
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96"><rect width="96" height="96" fill="${ground}"/>${clutter}${body}</svg>`
  mkdirSync(dirname(path), { recursive: true })
  await sharp(Buffer.from(svg)).png().toFile(path)
}

const shot = (page: Page, view: string) => page.screenshot({ path: join('test-results', `newcomer-${view}.png`) })
const strip = (page: Page) => page.getByTestId('first-run')

test('a newcomer does the whole loop through the UI, every path from the folder browser, and every view is photographed', async ({ page }) => {
  test.setTimeout(420_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  // MobileNetV2 is what a newcomer gets by default once its weights are installed; without ../shared
  // the loop runs on the CNN (the default then) and says so here.
  const withBase = missingShared(BASE_MODEL) === null
  if (!withBase) test.info().annotations.push({ type: 'note', description: 'MobileNetV2 weights absent: the loop trains the CNN' })

  await withOwnApp('newcomer', (workDir) => ({ HOME: join(workDir, 'home') }), async (app) => {
    const home = join(app.workDir, 'home')
    const shapes = join(home, 'photos', 'shapes')
    // Circles and squares sorted into folders, triangles still loose among them.
    for (let index = 0; index < 24; index++) {
      await writeShape(join(shapes, 'circles', `circle-${index}.png`), 'circles', index)
      await writeShape(join(shapes, 'squares', `square-${index}.png`), 'squares', index)
      await writeShape(join(shapes, `triangle-${index}.png`), 'triangles', index)
    }
    mkdirSync(join(home, 'models'))

    await page.goto(app.url)
    await shot(page, '0-welcome')
    await page.getByLabel('Project file path').fill('shapes')
    await page.getByRole('button', { name: 'Folder…' }).click()
    await page.getByRole('dialog', { name: 'Choose the folder to save the project in' }).getByRole('button', { name: 'Choose this folder' }).click()
    await page.getByRole('button', { name: 'Create project' }).click()

    // Library: the folder chosen in the browser.
    await page.getByRole('button', { name: 'Browse…' }).click()
    const chooser = page.getByRole('dialog', { name: 'Choose a folder to import' })
    await chooser.getByRole('button', { name: 'photos' }).click()
    await chooser.getByRole('button', { name: 'shapes' }).click()
    await chooser.getByRole('button', { name: 'Choose this folder' }).click()
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(page.getByTestId('import-new')).toHaveText('72')
    await expect(page.getByTestId('count-classes')).toHaveText('2')
    await expect(strip(page).locator('li[aria-current="step"]')).toContainText('Train')
    await shot(page, '1-library')

    // Label: a third class, and the loose triangles labeled by key.
    await page.keyboard.press('Control+2')
    await page.getByLabel('New class name').fill('triangles')
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await page.getByLabel('Label filter').selectOption('unlabeled')
    for (let index = 0; index < 24; index++) await page.keyboard.press('3')
    await expect(page.getByTestId('class-count-triangles')).toHaveText('24')
    await page.getByLabel('Label filter').selectOption({ label: 'All images' })
    await expect(strip(page)).toBeVisible()
    await shot(page, '2-label')

    // Balance: splits assigned per class, previewed first.
    await page.keyboard.press('Control+3')
    await page.getByRole('button', { name: 'Assign splits' }).click()
    await page.getByRole('region', { name: 'Split preview' }).getByRole('button', { name: 'Apply' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'Splits assigned' })).toBeVisible()
    // Most of each class trains; val and test are drawn per image from its content (stable as images are added).
    for (const name of SHAPES) {
      const cells = page.getByRole('table', { name: 'Images per class and split', exact: true }).getByRole('row', { name: new RegExp(`^${name}`) }).getByRole('cell')
      expect(Number(await cells.nth(1).textContent()), `${name} in train`).toBeGreaterThanOrEqual(18)
    }
    // 10 % of 24 is 2 validation images a class, under the 5 a warning asks for: the advice is to raise
    // the ratio or add images, not to press Assign splits again (which would change nothing).
    await expect(page.getByRole('list', { name: 'Warnings' })).toContainText('At 10 % validation that is all they get: raise Validation % or add images.')
    await shot(page, '3-balance')

    // Train: the default model, one click.
    await page.keyboard.press('Control+4')
    const model = page.getByLabel('Model')
    await expect(model).toHaveValue(withBase ? 'mobilenetv2' : 'cnn')
    // The default says why it is the default.
    await expect(page.getByTestId('model-why')).toContainText(withBase ? 'already knows what photos look like' : 'learns from nothing but your images')
    // One click: MobileNetV2's settings stay as they come; the CNN gets a few epochs to stay quick.
    if (!withBase) await page.getByLabel('Epochs').fill('4')
    await page.getByRole('button', { name: 'Train', exact: true }).click()
    await expect(page.getByTestId('run-1').locator('.status')).toHaveText('done', { timeout: 240_000 })
    await shot(page, '4-train')
    // Try it is one click from the finished run: the Predict view, with its drop zone.
    await page.getByRole('button', { name: 'Try it →' }).click()
    await expect(page.getByRole('region', { name: 'Try it' })).toBeVisible()

    // Review: the confusion matrix of the run just trained.
    await page.keyboard.press('Control+5')
    await expect(page.getByRole('heading', { name: 'Review', level: 1 })).toBeVisible()
    await expect(page.getByRole('table', { name: 'Confusion matrix' })).toBeVisible({ timeout: 60_000 })
    // Shapes this plain are what MobileNetV2's features separate at once: the newcomer's first model is a good one.
    if (withBase) expect(parseFloat((await page.getByTestId('review-accuracy').textContent()) ?? '0')).toBeGreaterThanOrEqual(90)
    await shot(page, '5-review')

    // Export: into ~/models, chosen in the browser.
    await page.keyboard.press('Control+6')
    const exportForm = page.getByRole('form', { name: 'Export a model' })
    await exportForm.getByRole('button', { name: 'Browse…' }).click()
    const exportTo = page.getByRole('dialog', { name: 'Choose the folder to export into' })
    await exportTo.getByRole('button', { name: 'models' }).click()
    await exportTo.getByRole('button', { name: 'Choose this folder' }).click()
    await exportForm.getByRole('button', { name: 'Export', exact: true }).click()
    await expect(page.getByRole('list', { name: 'Files written' })).toContainText('onnx/model.onnx', { timeout: 120_000 })
    expect(existsSync(join(home, 'models', 'onnx', 'model.onnx'))).toBe(true)
    await shot(page, '6-export')

    // Predict: the shapes folder again, chosen in the browser, with the run just trained.
    await page.keyboard.press('Control+7')
    const predictForm = page.getByRole('form', { name: 'Predict a folder' })
    await predictForm.getByRole('button', { name: 'Browse…' }).click()
    const predictFrom = page.getByRole('dialog', { name: 'Choose a folder of images to predict' })
    await predictFrom.getByRole('button', { name: 'photos' }).click()
    await predictFrom.getByRole('button', { name: 'shapes' }).click()
    await predictFrom.getByRole('button', { name: 'Choose this folder' }).click()
    await predictForm.getByRole('button', { name: 'Predict', exact: true }).click()
    await expect(page.getByTestId('predict-summary')).toContainText('72 of 72 files', { timeout: 120_000 })
    await shot(page, '7-predict')

    // A trained model: the guide is gone.
    await page.keyboard.press('Control+1')
    await expect(strip(page)).toHaveCount(0)
  })
})
