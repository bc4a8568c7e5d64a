import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
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
      const pixels = Buffer.alloc(24 * 24 * 3)
      let seed = index * 7919 + base[0]
      for (let p = 0; p < pixels.length; p++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        pixels[p] = Math.min(255, base[p % 3]! + (seed >>> 25))
      }
      await sharp(pixels, { raw: { width: 24, height: 24, channels: 3 } }).png().toFile(join(root, name, `${index}.png`))
    }
  }
}

test('exports a trained run as ONNX and TF.js into a typed folder and lists the files', async ({ app, page }) => {
  test.setTimeout(180_000)
  const folder = join(app.workDir, 'photos')
  await makeFolder(folder, 20)
  await page.goto(app.url)
  await page.getByLabel('Project file path').fill(join(app.workDir, 'export.pictor'))
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText('40')

  // A tiny CNN: the Train view with the CNN chosen, 2 epochs.
  await page.keyboard.press('Control+4')
  await page.getByLabel('Model').selectOption('cnn')
  await page.getByLabel('Epochs').fill('2')
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId('run-1').locator('.status')).toHaveText('done', { timeout: 120_000 })

  await page.keyboard.press('Control+6')
  await expect(page.getByRole('heading', { name: 'Export', exact: true })).toBeVisible()
  const form = page.getByRole('form', { name: 'Export a model' })
  await expect(form.getByRole('combobox')).toContainText('#1 cnn')
  const out = join(app.workDir, 'exported')
  await form.getByLabel('Destination folder').fill(out)
  await form.getByRole('button', { name: 'Export', exact: true }).click()

  const files = page.getByRole('list', { name: 'Files written' })
  await expect(files).toContainText('onnx/model.onnx', { timeout: 60_000 })
  for (const file of ['onnx/model.onnx', 'onnx/metadata.json', 'onnx/README.md', 'tfjs/model.json', 'tfjs/group1-shard1of1.bin', 'tfjs/metadata.json']) {
    await expect(files).toContainText(file)
    expect(existsSync(join(out, file)), file).toBe(true)
  }
  expect(JSON.parse(readFileSync(join(out, 'onnx', 'metadata.json'), 'utf8'))).toMatchObject({ runId: 1, modelKind: 'cnn', labels: ['blue', 'red'] })
  await expect(page.getByText('ort.InferenceSession(')).toBeVisible()

  // A folder holding someone else's files is refused with a clear message, and left alone.
  const mine = join(app.workDir, 'mine')
  mkdirSync(join(mine, 'onnx'), { recursive: true })
  writeFileSync(join(mine, 'onnx', 'notes.txt'), 'mine')
  await form.getByLabel('Destination folder').fill(mine)
  await form.getByRole('button', { name: 'Export', exact: true }).click()
  await expect(page.getByRole('alert')).toContainText('not a Pictor export', { timeout: 30_000 })
  expect(readFileSync(join(mine, 'onnx', 'notes.txt'), 'utf8')).toBe('mine')
})
