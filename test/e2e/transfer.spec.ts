import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
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

  test('fine-tunes the top blocks at a chosen input size, as the Train view asked', async ({ app, page }) => {
    test.skip(NO_BASE_MODEL !== null, NO_BASE_MODEL ?? '')
    test.setTimeout(240_000)
    const folder = join(app.workDir, 'shapes')
    await makeFolder(folder)
    const project = join(app.workDir, 'finetune.pictor')
    await createAndImport(page, app.url, project, folder, 20)

    await page.keyboard.press('Control+4')
    await expect(page.getByLabel('Model')).toHaveValue('mobilenetv2')
    await page.getByLabel('Input size').selectOption('96')
    await page.getByLabel('Fine-tune the top of the network').check()
    await page.getByLabel('Top blocks').fill('1')
    await page.getByLabel('Fine-tune epochs').fill('2')
    await page.getByLabel('Epochs', { exact: true }).fill('3')
    await expect(page.getByLabel('Backbone precision')).toHaveValue('auto')
    await page.getByRole('button', { name: 'Train', exact: true }).click()
    await expect(page.getByTestId('run-1').locator('.status')).toHaveText('done', { timeout: 200_000 })

    // What the run recorded, read from the project file as another process would.
    const db = new BetterSqlite3(project, { readonly: true })
    try {
      const summary = JSON.parse(db.prepare('SELECT summary FROM training_runs WHERE id = 1').pluck().get() as string) as {
        transfer: { featureSpec: { inputSize: number; boundary: string }; storedModel: string; fineTune: { blocks: number } }
      }
      expect(summary.transfer.featureSpec).toMatchObject({ inputSize: 96, boundary: 'block_14_input' })
      expect(summary.transfer.storedModel).toBe('top')
      expect(summary.transfer.fineTune.blocks).toBe(1)
      const stages = db.prepare('SELECT metrics FROM run_epochs WHERE run_id = 1 ORDER BY epoch').pluck().all() as string[]
      expect(stages.map((text) => (JSON.parse(text) as { stage?: number }).stage ?? 1)).toContain(2)
    } finally {
      db.close()
    }
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
