import { join } from 'node:path'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, trainCnn } from './project-setup'

// Issue 17: the Train view compares runs side by side — the settings that differ, the curves
// overlaid, and per class how each run does against the first one ticked.

test('compares two runs: differing settings, overlaid curves, and per-class deltas once each is evaluated', async ({ app, page }) => {
  test.setTimeout(240_000)
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 30, 32)
  await createAndImport(page, app.url, join(app.workDir, 'compare.pictor'), folder, 60)
  await trainCnn(page, 1, 2, 120_000)

  // The second run: one more epoch and another learning rate.
  await page.getByLabel('Epochs').fill('3')
  await page.getByText('Advanced settings').click()
  await page.getByLabel('Learning rate').fill('0.003')
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId('run-2').locator('.status')).toHaveText('done', { timeout: 120_000 })

  // Run 2 ticked first: it is the baseline.
  await page.getByRole('checkbox', { name: 'Compare run 2', exact: true }).check()
  await expect(page.getByText('Tick another run to compare it with run #2.')).toBeVisible()
  await page.getByRole('checkbox', { name: 'Compare run 1', exact: true }).check()
  const compare = page.getByRole('region', { name: 'Run comparison' })
  await expect(compare.getByRole('heading', { name: 'Comparing #2, #1' })).toBeVisible()

  // Settings: only the rows that differ, every one on request.
  const settings = compare.getByRole('table', { name: 'Settings' })
  await expect(settings.getByTestId('setting-epochs')).toHaveText(/epochs\s*3\s*2/)
  await expect(settings.getByTestId('setting-learningRate')).toHaveText(/learningRate\s*0\.003\s*0\.001/)
  await expect(settings.getByTestId('setting-batchSize')).toHaveCount(0)
  await compare.getByLabel('Show all settings').check()
  await expect(settings.getByTestId('setting-batchSize')).toBeVisible()
  await compare.getByLabel('Show all settings').uncheck()
  await expect(settings.getByRole('row')).toHaveCount(3)

  // Curves: both runs in both charts, train loss dashed beside validation loss.
  for (const name of ['#2 validation accuracy', '#1 validation accuracy', '#2 validation loss', '#2 train loss', '#1 validation loss', '#1 train loss']) {
    await expect(compare.getByText(name, { exact: true })).toBeVisible()
  }
  await expect(compare.getByRole('img', { name: /Loss, run by run/ }).locator('path[stroke-dasharray]')).toHaveCount(2)

  // Per class: nothing until the runs are evaluated; Evaluate on each (the second from the keyboard).
  const classes = compare.getByTestId('compare-classes')
  await expect(classes).toContainText('No compared run is evaluated yet')
  await classes.getByRole('button', { name: 'Evaluate run #2' }).click()
  await expect(classes.getByRole('button', { name: 'Evaluate run #2' })).toHaveCount(0, { timeout: 60_000 })
  await expect(classes.getByRole('row', { name: /^Accuracy/ })).toContainText(/\d+\.\d %\s*·\s*\d+ images/, { timeout: 60_000 })
  // Only the baseline evaluated: its figures, and no delta for run 1 yet.
  await expect(classes.getByTestId('class-red')).toHaveText(/red\s*\d+\.\d %\s*—\s*—/)
  const evaluateFirst = classes.getByRole('button', { name: 'Evaluate run #1' })
  await evaluateFirst.focus()
  await page.keyboard.press('Enter')
  await expect(evaluateFirst).toHaveCount(0, { timeout: 60_000 })

  const delta = /[▲▼]?\s*([+−]\d+\.\d|0\.0)/
  for (const name of ['red', 'blue']) {
    await expect(classes.getByTestId(`class-${name}`)).toHaveText(new RegExp(`${name}\\s*\\d+\\.\\d %\\s*\\d+\\.\\d %\\s*${delta.source}`), { timeout: 60_000 })
  }
  await expect(classes.getByRole('columnheader', { name: /#2 F1\s*baseline/ })).toBeVisible()
  await expect(classes.getByRole('columnheader', { name: /#1 F1/ })).not.toContainText('baseline')

  // Sorted by run 1's change: largest gain first, then largest loss first, then back to class order.
  const sortHeader = classes.getByRole('columnheader', { name: /change of run 1 against run 2/ })
  await classes.getByRole('button', { name: 'Sort by the change of run 1 against run 2' }).click()
  await expect(sortHeader).toHaveAttribute('aria-sort', 'descending')
  await classes.getByRole('button', { name: 'Sort by the change of run 1 against run 2' }).click()
  await expect(sortHeader).toHaveAttribute('aria-sort', 'ascending')

  // Recall instead of F1: the same rows, the other metric.
  await compare.getByLabel('Metric').selectOption('recall')
  await expect(classes.getByRole('columnheader', { name: /#2 Recall\s*baseline/ })).toBeVisible()
})
