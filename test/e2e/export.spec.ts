import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, trainCnn } from './project-setup'

/** The page's own getComputedStyle: these functions run in the browser (the specs compile without the DOM library). */
declare function getComputedStyle(element: unknown): { appearance: string; backgroundColor: string }

test('exports a trained run as ONNX and TF.js into a typed folder and lists the files', async ({ app, page }) => {
  test.setTimeout(180_000)
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 20, 24)
  await createAndImport(page, app.url, join(app.workDir, 'export.pictor'), folder, 40)
  // A tiny CNN: 2 epochs.
  await trainCnn(page, 1, 2, 120_000)

  await page.keyboard.press('Control+6')
  await expect(page.getByRole('heading', { name: 'Export', exact: true })).toBeVisible()
  const form = page.getByRole('form', { name: 'Export a model' })
  await expect(form.getByRole('combobox')).toContainText('#1 CNN')
  // Issue 14's polish: the run selector is styled like the app's fields (not the native grey box),
  // and each format is one line, box at the left, then its name and what it is for.
  const runSelect = form.getByRole('combobox', { name: 'Run' })
  expect(await runSelect.evaluate((element) => [getComputedStyle(element).appearance, getComputedStyle(element).backgroundColor])).toEqual(['none', 'rgb(20, 22, 26)'])
  const formBox = (await form.boundingBox())!
  for (const name of ['ONNX', 'TensorFlow.js']) {
    const box = (await form.getByRole('checkbox', { name: new RegExp(`^${name.replace('.', '\\.')}`) }).boundingBox())!
    const text = (await form.locator('.format', { hasText: name }).boundingBox())!
    expect(box.x - formBox.x, `${name}'s box sits at the form's left edge`).toBeLessThan(40)
    expect(Math.abs(box.y + box.height / 2 - (text.y + text.height / 2)), `${name}'s box and name share a line`).toBeLessThan(6)
    expect(text.x).toBeGreaterThan(box.x + box.width)
  }
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

  // A folder holding the user's own files: the export goes in beside them and says it kept them.
  const mine = join(app.workDir, 'mine')
  mkdirSync(join(mine, 'onnx'), { recursive: true })
  writeFileSync(join(mine, 'onnx', 'notes.txt'), 'mine')
  await form.getByLabel('Destination folder').fill(mine)
  await form.getByRole('button', { name: 'Export', exact: true }).click()
  await expect(page.getByRole('list', { name: 'Files kept' })).toContainText('onnx/notes.txt', { timeout: 60_000 })
  expect(readFileSync(join(mine, 'onnx', 'notes.txt'), 'utf8')).toBe('mine')
  expect(existsSync(join(mine, 'onnx', 'model.onnx'))).toBe(true)

  // A file Pictor wrote that the user then edited is theirs: exporting again is refused, naming it, and nothing changes.
  writeFileSync(join(mine, 'onnx', 'README.md'), 'my notes')
  await form.getByRole('button', { name: 'Export', exact: true }).click()
  await expect(page.getByRole('alert')).toContainText('README.md', { timeout: 60_000 })
  await expect(page.getByRole('alert')).toContainText('never overwrites your files')
  expect(readFileSync(join(mine, 'onnx', 'README.md'), 'utf8')).toBe('my notes')
  expect(readFileSync(join(mine, 'onnx', 'notes.txt'), 'utf8')).toBe('mine')
})
