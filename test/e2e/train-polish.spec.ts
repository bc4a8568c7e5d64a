import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder } from './project-setup'

// Issue 14, polish seen in screenshots of the Train view at 1440×900: the Model selector was clipped
// ("MobileNetV2 (Im").

test.use({ viewport: { width: 1440, height: 900 } })

/** The select's text overflows its box (Chromium reports the clipped width as scrollWidth). */
const clipped = (page: Page) =>
  page.getByRole('combobox', { name: 'Model' }).evaluate((select) => {
    const box = select as unknown as { scrollWidth: number; clientWidth: number }
    return box.scrollWidth > box.clientWidth
  })

test('the Model selector shows the whole model name, and the form wraps instead of clipping when narrow', async ({ app, page }) => {
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 2, 16)
  await createAndImport(page, app.url, join(app.workDir, 'model.pictor'), folder, 4)
  await page.keyboard.press('Control+4')
  const model = page.getByRole('combobox', { name: 'Model' })
  for (const value of ['mobilenetv2', 'cnn']) {
    await model.selectOption(value)
    expect(await clipped(page), `${value} fits its select`).toBe(false)
  }
  await model.selectOption('mobilenetv2')
  // Narrow: the selector keeps its whole text, and nothing of the form sticks out of its card.
  await page.setViewportSize({ width: 760, height: 900 })
  expect(await clipped(page)).toBe(false)
  const card = await page.locator('.card').first().boundingBox()
  for (const control of [model, page.getByLabel('Epochs')]) {
    const box = (await control.boundingBox())!
    expect(box.x + box.width).toBeLessThanOrEqual(card!.x + card!.width)
  }
})
