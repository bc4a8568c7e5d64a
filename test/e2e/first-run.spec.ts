import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { expect, test } from './fixtures'
import { withOwnApp } from './project-setup'

// Issue 14 — the first hour of a newcomer: a guided first run (Import → Label → Train, gone once a
// model is trained), a folder browser instead of typed paths (finding 9), a Library that says it shows
// 60 of N and leads to Label (finding 8), thumbnails that survive a data folder without them and a
// placeholder with the file name when the image is gone (finding 1), and a class count that leaves
// out classes without images.

/** `count` distinct 40×40 PNGs named `<prefix>-<n>.png` in `folder`. */
async function writeImages(folder: string, prefix: string, count: number, shade: number): Promise<void> {
  mkdirSync(folder, { recursive: true })
  for (let index = 0; index < count; index++) {
    await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: shade, g: (index * 37) % 256, b: (index * 11) % 256 } } })
      .png()
      .toFile(join(folder, `${prefix}-${index}.png`))
  }
}

const strip = (page: Page) => page.getByTestId('first-run')
const currentStep = (page: Page) => strip(page).locator('li[aria-current="step"]')

test('a newcomer imports, labels and trains through the guide and the folder browser, typing no path', async ({ page }) => {
  test.setTimeout(180_000)
  // The app's home is the test's own: the browser lists it, and nothing of the real one.
  await withOwnApp('first-run', (workDir) => ({ HOME: join(workDir, 'home') }), async (app) => {
    const home = join(app.workDir, 'home')
    const flowers = join(home, 'photos', 'flowers')
    await writeImages(join(flowers, 'rose'), 'rose', 10, 220)
    await writeImages(flowers, 'unsorted', 65, 60)
    mkdirSync(join(home, '.hidden-stuff'))

    await page.goto(app.url)
    // New project: a bare name, and the folder chosen in the browser.
    await page.getByLabel('Project file path').fill('flowers')
    await page.getByRole('button', { name: 'Folder…' }).click()
    const saveIn = page.getByRole('dialog', { name: 'Choose the folder to save the project in' })
    await expect(saveIn.getByTestId('folder-path')).toHaveText('Home')
    // Hidden folders stay out unless asked for.
    await expect(saveIn.getByRole('button', { name: 'photos' })).toBeVisible()
    await expect(saveIn.getByRole('button', { name: '.hidden-stuff' })).toHaveCount(0)
    await saveIn.getByRole('checkbox', { name: /Show hidden/ }).check()
    await expect(saveIn.getByRole('button', { name: '.hidden-stuff' })).toBeVisible()
    await saveIn.getByRole('button', { name: 'Choose this folder' }).click()
    await expect(page.getByTestId('create-target')).toHaveText(`Will be saved as ${join(home, 'flowers.pictor')}`)
    await page.getByRole('button', { name: 'Create project' }).click()

    // The guide: step 1 of 3, Import.
    await expect(currentStep(page)).toContainText('Import')
    await expect(page.getByTestId('first-run-next')).toContainText('Import a folder')

    // The import folder, chosen in the browser.
    await page.getByRole('button', { name: 'Browse…' }).click()
    const chooser = page.getByRole('dialog', { name: 'Choose a folder to import' })
    await chooser.getByRole('button', { name: 'photos' }).click()
    await chooser.getByRole('button', { name: 'flowers' }).click()
    await expect(chooser.getByTestId('folder-path')).toHaveText(/Home.*photos.*flowers/)
    await chooser.getByRole('button', { name: 'Choose this folder' }).click()
    await expect(chooser).toHaveCount(0)
    await expect(page.getByLabel('Folder to import', { exact: true })).toHaveValue(flowers)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(page.getByTestId('import-new')).toHaveText('75')

    // Finding 8: the Library says it shows 60 of 75 and leads to the rest.
    await expect(page.getByTestId('library-shown')).toContainText('Showing the first 60 of 75 images')
    await expect(page.getByRole('list', { name: 'Imported images' }).locator('li')).toHaveCount(60)

    // The browser opens where the import folder was chosen last time.
    await page.getByRole('button', { name: 'Browse…' }).click()
    await expect(chooser.getByTestId('folder-path')).toHaveText(/flowers$/)
    await chooser.getByRole('button', { name: 'Cancel' }).click()
    await expect(chooser).toHaveCount(0)

    // Step 2: one class has images; the guide asks for a second and leads to Label.
    await expect(currentStep(page)).toContainText('Label')
    await expect(page.getByTestId('first-run-next')).toContainText('label some of a second class')
    await page.getByTestId('library-shown').getByRole('button', { name: /in Label/ }).click()
    await expect(page.getByRole('heading', { name: 'Label', level: 1 })).toBeVisible()
    await page.getByLabel('New class name').fill('tulip')
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await page.getByLabel('Label filter').selectOption('unlabeled')
    for (let index = 0; index < 10; index++) await page.keyboard.press('2')
    await expect(page.getByTestId('class-count-tulip')).toHaveText('10')

    // Step 3: Train.
    await expect(currentStep(page)).toContainText('Train')
    await strip(page).getByRole('button', { name: 'Open Train' }).click()
    await page.getByLabel('Model').selectOption('cnn')
    await page.getByLabel('Epochs').fill('1')
    await page.getByRole('button', { name: 'Train', exact: true }).click()
    await expect(page.getByTestId('run-1').locator('.status')).toHaveText('done', { timeout: 120_000 })

    // A trained model: the guide is gone, everywhere.
    await page.keyboard.press('Control+1')
    await expect(page.getByTestId('count-total')).toHaveText('75')
    await expect(strip(page)).toHaveCount(0)
    await page.keyboard.press('Control+2')
    await expect(page.getByRole('heading', { name: 'Label', level: 1 })).toBeVisible()
    await expect(strip(page)).toHaveCount(0)
  })
})

test('opens a project chosen in the browser, which lists folders and .pictor files only', async ({ page }) => {
  await withOwnApp('open-browse', (workDir) => ({ HOME: join(workDir, 'home') }), async (app) => {
    const home = join(app.workDir, 'home')
    await writeImages(join(home, 'Pictor'), 'not-a-project', 1, 10)
    await page.goto(app.url)
    await page.getByLabel('Project file path').fill('garden')
    await page.getByRole('button', { name: 'Create project' }).click()
    await expect(page.getByTestId('library-empty')).toBeVisible()
    await page.getByRole('button', { name: 'Close project' }).click()

    await page.getByRole('button', { name: 'Browse…' }).click()
    const chooser = page.getByRole('dialog', { name: 'Choose a project to open' })
    // Project pickers start in ~/Pictor, where the project was made.
    await expect(chooser.getByTestId('folder-path')).toHaveText(/Pictor projects$/)
    await expect(chooser.getByRole('button', { name: /not-a-project/ })).toHaveCount(0)
    const choose = chooser.getByRole('button', { name: 'Choose file' })
    await expect(choose).toBeDisabled()
    await chooser.getByRole('button', { name: /garden\.pictor/ }).click()
    await choose.click()
    await expect(page.getByLabel('Existing project path')).toHaveValue(join(home, 'Pictor', 'garden.pictor'))
    await page.getByRole('button', { name: 'Open project' }).click()
    await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
  })
})

test('thumbnails come back in a data folder without them, a placeholder names an image whose file is gone, and empty classes are not counted', async ({
  app,
  browser,
  page: firstPage
}) => {
  let page = firstPage
  const folder = join(app.workDir, 'photos')
  await writeImages(join(folder, 'red'), 'red', 4, 230)
  await writeImages(join(folder, 'blue'), 'blue', 4, 20)
  await page.goto(app.url)
  await page.getByLabel('Project file path').fill(join(app.workDir, 'thumbs.pictor'))
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText('8')

  // Another computer's data folder, or a cleared cache: no thumbnail at all. And one image is gone.
  rmSync(join(app.workDir, 'data', 'thumbnails'), { recursive: true, force: true })
  rmSync(join(folder, 'blue', 'blue-2.png'))
  // A browser that has never seen them (this one keeps immutable thumbnails in its cache).
  page = await (await browser.newContext()).newPage()
  await page.goto(app.url)
  const tiles = page.getByRole('list', { name: 'Imported images' })
  await expect(tiles.locator('li')).toHaveCount(8)
  await expect(tiles.getByTestId('thumb-missing')).toHaveCount(1, { timeout: 15_000 })
  await expect(tiles.getByTestId('thumb-missing')).toContainText('blue-2.png')
  const images = tiles.locator('img')
  await expect(images).toHaveCount(7)
  await expect
    .poll(() => images.evaluateAll((all) => all.filter((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth === 40).length))
    .toBe(7)

  // A class made by hand with no images yet is not one of the project's classes with images.
  await expect(page.getByTestId('count-classes')).toHaveText('2')
  await page.keyboard.press('Control+2')
  await page.getByLabel('New class name').fill('green')
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await expect(page.getByTestId('class-count-green')).toHaveText('0')
  await page.keyboard.press('Control+1')
  await expect(page.getByTestId('count-classes')).toHaveText('2')
  await expect(page.getByTestId('count-empty-classes')).toHaveText('(+1 without images)')
})
