import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from './fixtures'
import { BASE_MODEL, missingShared } from '../helpers/shared-assets'
import { createAndImport, makeRedBlueFolder, withOwnApp } from './project-setup'

// The Export view's Cluster bundle tab (issue 15): a folder to train the project on a GPU server or
// cluster with PyTorch, written into a folder chosen in the folder browser, with the counts and the
// exact commands to run next (each with a Copy button), and the program, its settings and the dataset
// on disk. Without the MobileNetV2 base model the form says so and how to install it.

const NO_BASE_MODEL = missingShared(BASE_MODEL)

test('writes a cluster bundle into a folder chosen in the browser and shows the commands to run next', async ({ page, context }) => {
  test.skip(NO_BASE_MODEL !== null, NO_BASE_MODEL ?? '')
  test.setTimeout(120_000)
  await withOwnApp('bundle', (workDir) => ({ HOME: join(workDir, 'home') }), async (app) => {
    const home = join(app.workDir, 'home')
    const out = join(home, 'bundles', 'flowers')
    mkdirSync(out, { recursive: true })
    const photos = join(app.workDir, 'photos')
    await makeRedBlueFolder(photos, 6, 24)
    const projectPath = join(app.workDir, 'bundle.pictor')
    await createAndImport(page, app.url, projectPath, photos, 12)

    await page.keyboard.press('Control+6')
    await page.getByRole('tab', { name: 'Cluster bundle' }).click()
    await expect(page.getByText('Train on a GPU server or cluster with PyTorch')).toBeVisible()
    const form = page.getByRole('form', { name: 'Write a cluster bundle' })
    await expect(form.getByRole('radio', { name: /^Automatic/ })).toBeChecked()
    await expect(form.getByRole('radio', { name: /^Hard links/ })).toBeChecked()
    // WebDataset shards always hold copies: the links-or-copies choice goes away with them.
    await form.getByRole('radio', { name: /^WebDataset/ }).check()
    await expect(form.getByRole('radio', { name: /^Hard links/ })).toHaveCount(0)
    await form.getByRole('radio', { name: /^Class folders/ }).check()
    await form.getByRole('radio', { name: /^Copies/ }).check()

    await form.getByRole('button', { name: 'Browse…' }).click()
    const chooser = page.getByRole('dialog', { name: 'Choose the folder for the bundle' })
    await chooser.getByRole('button', { name: /bundles/ }).click()
    await chooser.getByRole('button', { name: /flowers/ }).click()
    await expect(chooser.getByTestId('folder-path')).toHaveText(/flowers$/)
    await chooser.getByRole('button', { name: 'Choose this folder' }).click()
    await expect(chooser).toHaveCount(0)
    await expect(form.getByLabel('Bundle folder')).toHaveValue(out)

    await form.getByRole('button', { name: 'Write bundle' }).click()
    const result = page.getByRole('region', { name: 'Wrote a training bundle of 12 images' })
    await expect(result).toBeVisible({ timeout: 60_000 })
    await expect(result).toContainText(out)
    await expect(result).toContainText('(imagefolder; 12 copied)')
    const table = result.getByRole('table', { name: 'Images per split and class' })
    const totals = (await table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Total' }) }).getByRole('cell').allTextContents()).map(Number)
    expect(totals.reduce((sum, n) => sum + n, 0)).toBe(12)

    // The exact commands, each with its Copy button; the clipboard gets the command itself.
    await expect(result.getByText('python3 train.py --max-images 48 --epochs 1', { exact: true })).toBeVisible()
    await expect(result.getByText(/^torchrun .*train\.py$/)).toBeVisible()
    const bringBack = `pictor runs import --project ${JSON.stringify(projectPath)} output/`
    await expect(result.getByText(bringBack, { exact: true })).toBeVisible()
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.origin })
    await result.getByRole('button', { name: 'Copy the import command' }).click()
    await expect(result.getByRole('button', { name: 'Copy the import command' })).toHaveText('Copied')
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(bringBack)

    // On disk: the program, its settings and the dataset's class order.
    for (const file of ['train.py', 'config.json', 'README.md', 'data/classes.json', 'weights/model.json']) expect(existsSync(join(out, file)), file).toBe(true)
    expect(JSON.parse(readFileSync(join(out, 'data', 'classes.json'), 'utf8')).names.sort()).toEqual(['blue', 'red'])
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(bringBack)
  })
})

test('says the base model is missing and how to install it, writing nothing', async ({ page }) => {
  test.setTimeout(90_000)
  await withOwnApp('bundle-nomodel', (workDir) => ({ PICTOR_MODELS_DIR: join(workDir, 'no-models') }), async (app) => {
    const photos = join(app.workDir, 'photos')
    await makeRedBlueFolder(photos, 3, 24)
    await createAndImport(page, app.url, join(app.workDir, 'nomodel.pictor'), photos, 6)
    await page.keyboard.press('Control+6')
    await page.getByRole('tab', { name: 'Cluster bundle' }).click()
    const form = page.getByRole('form', { name: 'Write a cluster bundle' })
    const out = join(app.workDir, 'bundle')
    await form.getByLabel('Bundle folder').fill(out)
    await form.getByRole('button', { name: 'Write bundle' }).click()
    const alert = form.getByRole('alert')
    await expect(alert).toContainText('NOT_FOUND', { timeout: 30_000 })
    await expect(alert).toContainText('pictor models fetch')
    await alert.getByRole('button', { name: 'Open the Train view' }).click()
    await expect(page.getByRole('heading', { name: 'Train', exact: true })).toBeVisible()
    expect(existsSync(out)).toBe(false)
  })
})
