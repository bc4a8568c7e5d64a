import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, trainCnn, withOwnApp } from './project-setup'

// Issue 14, finding 12: predicting a folder from the app. A run of the project (and then the model
// exported from it) predicts a folder of new red and blue images with a text file among them; the
// results stream into a virtualized table with a thumbnail per row, filter by class and confidence,
// and save as the CSV `pictor predict --csv` writes. A 10,000-image folder streams in without the
// table ever holding more than a screenful of rows, and can be cancelled midway.

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'pictor.js')

/** The number at the start of "N of M shown". */
async function shown(page: Page): Promise<number> {
  const text = (await page.getByTestId('predict-matched').textContent()) ?? ''
  return Number(text.split(' of ')[0]!.replace(/\D/g, ''))
}

test('predicts a folder with a run and an exported model, chosen in the folder browser: streamed rows with thumbnails, filters, Save CSV', async ({ page }) => {
  test.setTimeout(300_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  // The app's home is the test's own, so the folder browser lists it.
  await withOwnApp('predict', (workDir) => ({ HOME: join(workDir, 'home') }), async (app) => {
    const home = join(app.workDir, 'home')
    const photos = join(home, 'photos')
    await makeRedBlueFolder(photos, 20, 24)
    const project = join(home, 'predict.pictor')
    await createAndImport(page, app.url, project, photos, 40)
    await trainCnn(page, 1, 2, 120_000)

    // New images to sort: 12 red and 12 blue (the same look, other noise), and text named like a photo.
    const incoming = join(home, 'incoming')
    await makeRedBlueFolder(join(app.workDir, 'fresh'), 12, 24)
    mkdirSync(join(incoming, 'batch 2'), { recursive: true })
    for (const name of ['red', 'blue']) {
      for (const file of readdirSync(join(app.workDir, 'fresh', name))) copyFileSync(join(app.workDir, 'fresh', name, file), join(incoming, name === 'red' ? '' : 'batch 2', `${name}-${file}`))
    }
    writeFileSync(join(incoming, 'notes.jpg'), 'not an image')

    await page.keyboard.press('Control+7')
    await expect(page.getByRole('heading', { name: 'Predict', exact: true })).toBeVisible()
    const form = page.getByRole('form', { name: 'Predict a folder' })
    await expect(form.getByRole('radio', { name: 'A run of this project' })).toBeChecked()
    await expect(form.getByRole('combobox')).toContainText('#1 CNN')
    // The folder, chosen in the browser.
    await form.getByRole('button', { name: 'Browse…' }).click()
    const chooser = page.getByRole('dialog', { name: 'Choose a folder of images to predict' })
    await chooser.getByRole('button', { name: 'incoming' }).click()
    await chooser.getByRole('button', { name: 'Choose this folder' }).click()
    await expect(chooser).toHaveCount(0)
    await expect(form.getByLabel('Folder of images', { exact: true })).toHaveValue(incoming)
    await form.getByRole('button', { name: 'Predict', exact: true }).click()

    await expect(page.getByTestId('predict-summary')).toContainText('25 of 25 files', { timeout: 60_000 })
    await expect(page.getByTestId('predict-summary')).toContainText('1 unreadable')
    const table = page.getByRole('table', { name: 'Predictions' })
    await expect(page.getByTestId('predict-matched')).toHaveText('25 of 25 shown')
    // Thumbnails of files outside the project, decoded by the server on request.
    const thumbnails = table.locator('img')
    await expect(thumbnails.first()).toBeVisible({ timeout: 30_000 })
    await expect.poll(() => thumbnails.first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0)

    // By class: the class list counts each best class; choosing one shows only its rows.
    const classSelect = page.getByRole('combobox', { name: 'Class' })
    const redOption = (await classSelect.locator('option').allTextContents()).find((text) => text.startsWith('red ('))!
    const reds = Number(/\((\d+)\)/.exec(redOption)![1])
    expect(reds).toBeGreaterThan(6) // a CNN that separates the colours finds most of the 12
    await classSelect.selectOption({ label: redOption })
    await expect(page.getByTestId('predict-matched')).toHaveText(`${reds} of 25 shown`)
    const labels = await table.getByRole('row').locator('.label').allTextContents()
    expect(labels.length).toBeGreaterThan(3)
    expect(new Set(labels)).toEqual(new Set(['red']))

    // By confidence: at least 90 % leaves only confident rows, each ≥ 90 %.
    await classSelect.selectOption('all')
    await page.getByLabel('Minimum confidence').fill('90')
    await expect(page.getByText('Confidence from 90%')).toBeVisible()
    await expect.poll(() => shown(page)).toBeLessThan(25)
    for (const value of await table.locator('.confidence .value').allTextContents()) expect(parseFloat(value)).toBeGreaterThanOrEqual(90)
    await page.getByLabel('Minimum confidence').fill('0')
    await classSelect.selectOption('unreadable')
    await expect(page.getByTestId('predict-matched')).toHaveText('1 of 25 shown')
    await expect(table.getByRole('row').filter({ hasText: 'notes.jpg' })).toContainText('NOT_AN_IMAGE')
    await classSelect.selectOption('all')

    // Save CSV: the same bytes as `pictor predict --csv`, and never over a file without asking.
    const cliCsv = join(app.workDir, 'cli.csv')
    const cli = spawnSync(process.execPath, [BIN, 'predict', '--project', project, '--run', '1', incoming, '--csv', cliCsv], {
      encoding: 'utf8',
      env: { ...process.env, HOME: home, PICTOR_DATA_DIR: join(app.workDir, 'data') }
    })
    expect(cli.status, cli.stderr).toBe(0)
    const save = page.getByRole('form', { name: 'Save as CSV' })
    // Offered beside the predicted folder; another folder is chosen in the browser.
    await expect(save.getByLabel('Save CSV into')).toHaveValue(home)
    await save.getByRole('button', { name: 'Browse…' }).click()
    const csvChooser = page.getByRole('dialog', { name: 'Choose the folder for the CSV' })
    await csvChooser.getByRole('button', { name: 'photos' }).click()
    await csvChooser.getByRole('button', { name: 'Choose this folder' }).click()
    await save.getByLabel('File name').fill('app.csv')
    await save.getByRole('button', { name: 'Save CSV' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'Saved 25 rows' })).toBeVisible()
    await page.screenshot({ path: join('test-results', 'predict-view.png') })
    expect(readFileSync(join(photos, 'app.csv'), 'utf8')).toBe(readFileSync(cliCsv, 'utf8'))
    await save.getByRole('button', { name: 'Save CSV' }).click()
    await expect(page.getByRole('alert')).toContainText('already exists')
    await save.getByRole('button', { name: 'Replace it' }).click()
    await expect(page.getByRole('status').filter({ hasText: 'Saved 25 rows' })).toBeVisible()

    // The same folder with the model exported from the run (ONNX): the same predictions.
    await page.keyboard.press('Control+6')
    const exportForm = page.getByRole('form', { name: 'Export a model' })
    await exportForm.getByRole('checkbox', { name: /TensorFlow\.js/ }).uncheck()
    await exportForm.getByLabel('Destination folder').fill(join(home, 'exported'))
    await exportForm.getByRole('button', { name: 'Export', exact: true }).click()
    await expect(page.getByRole('list', { name: 'Files written' })).toContainText('onnx/model.onnx', { timeout: 60_000 })
    await page.keyboard.press('Control+7')
    // Back in the view: the last prediction is still there.
    await expect(page.getByTestId('predict-matched')).toHaveText('25 of 25 shown')
    await form.getByRole('radio', { name: 'An exported model' }).check()
    await form.getByRole('button', { name: 'Browse…' }).first().click()
    const modelChooser = page.getByRole('dialog', { name: /Choose an exported model/ })
    await modelChooser.getByRole('button', { name: 'exported' }).click()
    await modelChooser.getByRole('button', { name: 'onnx' }).click()
    await modelChooser.getByRole('button', { name: /model\.onnx/ }).click()
    await modelChooser.getByRole('button', { name: 'Choose file' }).click()
    const modelPath = join(home, 'exported', 'onnx', 'model.onnx')
    await expect(form.getByLabel('Model file or export folder')).toHaveValue(modelPath)
    await form.getByRole('button', { name: 'Predict', exact: true }).click()
    await expect(page.getByTestId('predict-summary')).toContainText(`with ${modelPath}`, { timeout: 60_000 })
    await expect(page.getByTestId('predict-summary')).toContainText('25 of 25 files')
    await expect(page.getByRole('combobox', { name: 'Class' }).locator('option', { hasText: 'red (' })).toHaveText(redOption)

    // A model that does not load says why, with the start.
    await form.getByLabel('Model file or export folder').fill(join(incoming, 'notes.jpg'))
    await form.getByRole('button', { name: 'Predict', exact: true }).click()
    await expect(form.getByRole('alert')).toContainText('notes.jpg')
  })
})

test('a 10,000-image folder streams into a virtualized table and can be cancelled midway', async ({ app, page }) => {
  test.setTimeout(300_000)
  const photos = join(app.workDir, 'photos')
  await makeRedBlueFolder(photos, 20, 24)
  await createAndImport(page, app.url, join(app.workDir, 'big.pictor'), photos, 40)
  await trainCnn(page, 1, 1, 120_000)

  const big = join(app.workDir, 'big')
  for (const folder of ['a', 'b', 'c', 'd']) mkdirSync(join(big, folder), { recursive: true })
  const sources = ['red', 'blue'].flatMap((name) => readdirSync(join(photos, name)).map((file) => join(photos, name, file)))
  for (let index = 0; index < 10_000; index++) copyFileSync(sources[index % sources.length]!, join(big, 'abcd'[index % 4]!, `${String(index).padStart(5, '0')}.png`))

  await page.keyboard.press('Control+7')
  const form = page.getByRole('form', { name: 'Predict a folder' })
  await form.getByLabel('Folder of images').fill(big)
  await form.getByRole('button', { name: 'Predict', exact: true }).click()
  const progress = page.getByRole('status', { name: 'Prediction progress' })
  await expect(progress).toBeVisible({ timeout: 30_000 })
  // Rows appear while the job runs, and the table renders only a screenful of them.
  await expect.poll(() => shown(page), { timeout: 60_000 }).toBeGreaterThan(500)
  const table = page.getByRole('table', { name: 'Predictions' })
  expect(await table.getByRole('row').count()).toBeLessThan(60)
  // Scrolling far down fetches those rows from main.
  await table.locator('.viewport').evaluate((element) => (element.scrollTop = element.scrollHeight))
  await expect(table.getByRole('row').last()).toContainText('.png')
  expect(await table.getByRole('row').count()).toBeLessThan(60)

  await progress.getByRole('button', { name: 'Cancel' }).click()
  await expect(page.getByTestId('predict-summary')).toContainText('cancelled', { timeout: 30_000 })
  const kept = await shown(page)
  expect(kept).toBeGreaterThan(500)
  expect(kept).toBeLessThan(10_000)
  await expect(page.getByTestId('predict-summary')).toContainText('of 10,000 files')
})
