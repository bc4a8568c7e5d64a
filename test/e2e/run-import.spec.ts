import { join } from 'node:path'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, trainCnn } from './project-setup'

// Train → "Import an ONNX classifier…" (issue 15, "Bring it back"): a run exported as ONNX comes back as a run of
// its own, listed as an imported ONNX model without epochs or Resume, and Review evaluates it.
test('imports an exported ONNX model as a run, which the run list and Review then show', async ({ app, page }) => {
  test.setTimeout(180_000)
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 12, 24)
  await createAndImport(page, app.url, join(app.workDir, 'import-model.pictor'), folder, 24)
  await trainCnn(page, 1, 1, 120_000)

  await page.keyboard.press('Control+6')
  const exportForm = page.getByRole('form', { name: 'Export a model' })
  const out = join(app.workDir, 'exported')
  await exportForm.getByLabel('Destination folder').fill(out)
  await exportForm.getByRole('button', { name: 'Export', exact: true }).click()
  await expect(page.getByRole('list', { name: 'Files written' })).toContainText('onnx/model.onnx', { timeout: 60_000 })

  await page.keyboard.press('Control+4')
  await page.getByRole('button', { name: 'Import an ONNX classifier…' }).click()
  const form = page.getByRole('form', { name: 'Import an ONNX classifier' })
  await form.getByLabel('ONNX file').fill(join(app.workDir, 'nowhere.onnx'))
  await form.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(form.getByRole('alert')).toContainText('NOT_FOUND')
  await form.getByLabel('ONNX file').fill(join(out, 'onnx', 'model.onnx'))
  await form.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(form.getByRole('status')).toContainText(/Imported as run #2: blue, red \(\d+×\d+\)/)
  const row = page.getByTestId('run-2')
  await expect(row).toContainText('imported ONNX')
  await expect(row.locator('.status')).toHaveText('done')
  await expect(row.getByRole('button', { name: 'Resume' })).toHaveCount(0)

  // Review evaluates it through ONNX Runtime like any run.
  await page.keyboard.press('Control+5')
  await page.getByRole('combobox', { name: 'Run', exact: true }).selectOption('2')
  await page.getByRole('radio', { name: 'All' }).click()
  await expect(page.getByText('Run #2 has not been evaluated yet.')).toBeVisible()
  await page.getByRole('button', { name: 'Evaluate', exact: true }).click()
  await expect(page.getByText(/Predicted by onnxruntime/)).toBeVisible({ timeout: 60_000 })
  await expect(page.getByRole('table', { name: 'Confusion matrix' })).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('review-count')).toHaveText('24')
  await expect(page.getByRole('combobox', { name: 'Run', exact: true })).toContainText('#2 imported ONNX')
})
