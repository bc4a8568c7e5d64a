import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, trainCnn, withOwnApp } from './project-setup'

// Issue 14, "Go beyond the peers", Try it (Lobe's "Play", offline): after training, an image dropped
// on the Predict view's Try it panel (a file from the page: its bytes travel, no path exists) and one
// chosen in the folder browser each show their predicted class large and a bar per class with its
// probability; the second try reuses the loaded model; text named like a photo says so in one line.

/** A picture of the project's look (reddish or bluish noise), 24 px as the training images, saved as `format`. */
async function picture(workDir: string, look: 'red' | 'blue', path: string, format: 'png' | 'jpeg'): Promise<void> {
  const fresh = join(workDir, 'fresh')
  await makeRedBlueFolder(fresh, 1, 24)
  const image = sharp(join(fresh, look, '0.png'))
  await (format === 'png' ? image.png() : image.jpeg({ quality: 95 })).toFile(path)
}

test('Try it: drop an image or choose one in the folder browser, see the predicted class and a bar per class', async ({ page }) => {
  test.setTimeout(300_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  await withOwnApp('try-it', (workDir) => ({ HOME: join(workDir, 'home') }), async (app) => {
    const home = join(app.workDir, 'home')
    const photos = join(home, 'photos')
    await makeRedBlueFolder(photos, 20, 24)
    await createAndImport(page, app.url, join(home, 'try.pictor'), photos, 40)
    await trainCnn(page, 1, 5, 120_000) // sure enough of a fresh picture's colour (2 epochs left it near 50 %)

    const pictures = join(home, 'pictures')
    mkdirSync(pictures, { recursive: true })
    await picture(app.workDir, 'red', join(pictures, 'red thing.jpg'), 'jpeg')
    const blue = join(app.workDir, 'blue thing.png') // outside home: only the page has it
    await picture(app.workDir, 'blue', blue, 'png')

    await page.keyboard.press('Control+7')
    const panel = page.getByRole('region', { name: 'Try it' })
    await expect(panel).toBeVisible()
    await expect(panel).toContainText('what run #1 says about it')
    const best = panel.getByTestId('try-it-best')
    const bars = panel.getByRole('list', { name: 'Probabilities' }).getByRole('listitem')

    // Dropped: a File in a DataTransfer, as the browser hands a file dragged from the desktop.
    const dataTransfer = await page.evaluateHandle(
      ({ base64, name }) => {
        const dom = globalThis as unknown as {
          DataTransfer: new () => { items: { add(file: unknown): void } }
          File: new (parts: unknown[], name: string, options: { type: string }) => unknown
        }
        const transfer = new dom.DataTransfer()
        transfer.items.add(new dom.File([Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))], name, { type: 'image/png' }))
        return transfer
      },
      { base64: readFileSync(blue).toString('base64'), name: 'blue thing.png' }
    )
    await panel.getByTestId('try-it-drop').dispatchEvent('drop', { dataTransfer })
    await expect(best.locator('.label')).toHaveText('blue', { timeout: 60_000 })
    await expect(bars).toHaveCount(2)
    await expect(bars.nth(0)).toContainText('blue')
    await expect(bars.nth(1)).toContainText('red')
    await expect(panel.getByTestId('try-it-meta')).toContainText('the model loaded in')
    const shown = await bars.locator('.rank-probability').allTextContents()
    const percents = shown.map((text) => Number(text.replace('%', '')))
    expect(percents[0]).toBeGreaterThan(50)
    expect(percents[0]! + percents[1]!).toBeCloseTo(100, 0)
    await expect(best.locator('.probability')).toHaveText(shown[0]!)
    // The bar is as long as its probability.
    const widths = await bars.locator('.bar').evaluateAll((elements) =>
      elements.map((element) => (element as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width)
    )
    const track = await bars.first().locator('.track').evaluate((element) => (element as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width)
    expect(widths[0]! / track).toBeCloseTo(percents[0]! / 100, 1)
    const preview = panel.getByRole('img', { name: 'blue thing.png' })
    await expect.poll(() => preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(24)

    // Chosen in the folder browser: a path, read by main; the model is already loaded.
    await panel.getByRole('button', { name: 'Choose image…' }).click()
    const chooser = page.getByRole('dialog', { name: 'Choose an image to try' })
    await chooser.getByRole('button', { name: 'pictures' }).click()
    await chooser.getByRole('button', { name: /red thing\.jpg/ }).click()
    await chooser.getByRole('button', { name: 'Choose file' }).click()
    await expect(chooser).toBeHidden()
    await expect(best.locator('.label')).toHaveText('red', { timeout: 30_000 })
    await expect(bars.nth(0)).toContainText('red')
    await expect(panel.getByTestId('try-it-meta')).not.toContainText('loaded')
    await expect(panel.getByRole('img', { name: 'red thing.jpg' })).toBeVisible()
    await page.screenshot({ path: join('test-results', 'try-it.png') })

    // Opened from the page's own file input (the drop zone offers it too): text named like a photo.
    await panel.getByTestId('try-it-file').setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('just some text') })
    await expect(panel.getByRole('alert')).toHaveText('notes.jpg is not an image Pictor can read')
    await expect(bars).toHaveCount(0)
  })
})
