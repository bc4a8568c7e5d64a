import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from './fixtures'

/** Two visibly different classes of small noisy images: a CNN separates them within an epoch or two. */
async function makeFolder(root: string, perClass: number): Promise<void> {
  for (const [name, base] of [
    ['red', [200, 40, 40]],
    ['blue', [40, 40, 200]]
  ] as const) {
    mkdirSync(join(root, name), { recursive: true })
    for (let index = 0; index < perClass; index++) {
      let seed = index * 7919 + base[0]
      const pixels = Buffer.alloc(32 * 32 * 3)
      for (let p = 0; p < pixels.length; p++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        pixels[p] = Math.min(255, base[p % 3]! + (seed >>> 25))
      }
      await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(root, name, `${index}.png`))
    }
  }
}

test('trains a CNN with live curves, cancels a run, and lists both runs', async ({ app, page }) => {
  test.setTimeout(180_000)
  const folder = join(app.workDir, 'photos')
  await makeFolder(folder, 40)
  await page.goto(app.url)
  await page.getByLabel('Project file path').fill(join(app.workDir, 'train.pictor'))
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText('80')

  await page.keyboard.press('Control+4')
  // The seed CNN, chosen explicitly: with MobileNetV2's weights installed it would be the default.
  await page.getByRole('combobox', { name: 'Model' }).selectOption('cnn')
  await page.getByLabel('Epochs').fill('3')
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  const status = page.getByTestId('train-status')
  await expect(status).toContainText('Epoch', { timeout: 60_000 })
  await expect(page.getByRole('img', { name: 'Accuracy' })).toBeVisible({ timeout: 60_000 })
  const first = page.getByTestId('run-1')
  await expect(first.locator('.status')).toHaveText('done', { timeout: 120_000 })
  await expect(first).toContainText('3/3')
  await expect(first).toContainText('wasm')

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
