import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, startBrowserMode, test } from './fixtures'

const MODELS_DIR = process.env.PICTOR_MODELS_DIR
const HAS_BASE_MODEL = !!MODELS_DIR && existsSync(join(MODELS_DIR, 'mobilenet_v2_1.0_224_no_top', 'model.json'))

/** Two classes of simple shapes: a red disc or a blue square on grey, 10 of each. */
async function makeFolder(root: string): Promise<void> {
  for (const name of ['disc', 'square']) {
    mkdirSync(join(root, name), { recursive: true })
    for (let index = 0; index < 10; index++) {
      const size = 40 + index * 4
      const shape =
        name === 'disc'
          ? `<circle cx="64" cy="64" r="${size / 2}" fill="#d02020"/>`
          : `<rect x="${64 - size / 2}" y="${64 - size / 2}" width="${size}" height="${size}" fill="#2040d0"/>`
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128"><rect width="128" height="128" fill="#888"/>${shape}</svg>`
      await sharp(Buffer.from(svg)).png().toFile(join(root, name, `${index}.png`))
    }
  }
}

test.describe('MobileNetV2 in the Train view', () => {
  test('is the default and trains a head in one click', async ({ app, page }) => {
    test.skip(!HAS_BASE_MODEL, `MobileNetV2 weights not found (PICTOR_MODELS_DIR=${MODELS_DIR ?? 'unset'}; CI points it at ../shared)`)
    test.setTimeout(240_000)
    const folder = join(app.workDir, 'shapes')
    await makeFolder(folder)
    await page.goto(app.url)
    await page.getByLabel('Project file path').fill(join(app.workDir, 'shapes.pictor'))
    await page.getByRole('button', { name: 'Create project' }).click()
    await page.getByLabel('Folder to import').fill(folder)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(page.getByTestId('import-new')).toHaveText('20')

    await page.keyboard.press('Control+4')
    await expect(page.getByLabel('Model')).toHaveValue('mobilenetv2')
    await page.getByRole('button', { name: 'Train', exact: true }).click()
    const run = page.getByTestId('run-1')
    await expect(run.locator('.status')).toHaveText('done', { timeout: 200_000 })
    await expect(run).toContainText('mobilenetv2')
  })

  test('offers to download or import the weights when they are missing', async ({ page }) => {
    const workDir = join(process.env.TMPDIR ?? '/tmp', `pictor-e2e-nomodel-${process.pid}`)
    rmSync(workDir, { recursive: true, force: true })
    mkdirSync(workDir, { recursive: true })
    const app = await startBrowserMode(workDir, 0, { PICTOR_MODELS_DIR: join(workDir, 'no-models') })
    try {
      await page.goto(app.url)
      await page.getByLabel('Project file path').fill(join(workDir, 'x.pictor'))
      await page.getByRole('button', { name: 'Create project' }).click()
      await expect(page.getByTestId('library-empty')).toBeVisible()
      await page.keyboard.press('Control+4')
      await expect(page.getByLabel('Model')).toHaveValue('cnn')
      await page.getByLabel('Model').selectOption('mobilenetv2')
      const panel = page.getByRole('group', { name: 'Base model' })
      await expect(panel).toContainText('weights are not installed')
      await expect(panel.getByRole('button', { name: 'Download' })).toBeVisible()
      // A file that is not a model is refused with a clear message, and nothing is installed.
      await panel.getByLabel('Base model file or folder').fill(join(workDir, 'x.pictor'))
      await panel.getByRole('button', { name: 'Import' }).click()
      await expect(panel.getByRole('alert')).toContainText('Nothing was installed')
    } finally {
      await app.stop()
      rmSync(workDir, { recursive: true, force: true })
    }
  })
})
