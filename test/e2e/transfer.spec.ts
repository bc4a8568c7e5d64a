import { join } from 'node:path'
import { expect, test } from './fixtures'
import { BASE_MODEL, missingShared } from '../helpers/shared-assets'
import { createAndImport, withOwnApp, writeShape } from './project-setup'

const NO_BASE_MODEL = missingShared(BASE_MODEL)

/** Two classes of simple shapes: a red disc or a blue square on grey, 10 of each. */
async function makeFolder(root: string): Promise<void> {
  for (const shape of ['disc', 'square'] as const) {
    for (let index = 0; index < 10; index++) await writeShape(join(root, shape, `${index}.png`), shape, index)
  }
}

test.describe('MobileNetV2 in the Train view', () => {
  test('is the default and trains a head in one click', async ({ app, page }) => {
    test.skip(NO_BASE_MODEL !== null, NO_BASE_MODEL ?? '')
    test.setTimeout(240_000)
    const folder = join(app.workDir, 'shapes')
    await makeFolder(folder)
    await createAndImport(page, app.url, join(app.workDir, 'shapes.pictor'), folder, 20)

    await page.keyboard.press('Control+4')
    await expect(page.getByLabel('Model')).toHaveValue('mobilenetv2')
    await page.getByRole('button', { name: 'Train', exact: true }).click()
    const run = page.getByTestId('run-1')
    await expect(run.locator('.status')).toHaveText('done', { timeout: 200_000 })
    await expect(run).toContainText('mobilenetv2')
  })

  test('offers to download or import the weights when they are missing', async ({ page }) => {
    await withOwnApp('nomodel', (workDir) => ({ PICTOR_MODELS_DIR: join(workDir, 'no-models') }), async (app) => {
      await page.goto(app.url)
      await page.getByLabel('Project file path').fill(join(app.workDir, 'x.pictor'))
      await page.getByRole('button', { name: 'Create project' }).click()
      await expect(page.getByTestId('library-empty')).toBeVisible()
      await page.keyboard.press('Control+4')
      await expect(page.getByLabel('Model')).toHaveValue('cnn')
      await page.getByLabel('Model').selectOption('mobilenetv2')
      const panel = page.getByRole('group', { name: 'Base model' })
      await expect(panel).toContainText('weights are not installed')
      await expect(panel.getByRole('button', { name: 'Download' })).toBeVisible()
      // A file that is not a model is refused with a clear message, and nothing is installed.
      await panel.getByLabel('Base model file or folder').fill(join(app.workDir, 'x.pictor'))
      await panel.getByRole('button', { name: 'Import' }).click()
      await expect(panel.getByRole('alert')).toContainText('Nothing was installed')
    })
  })
})
