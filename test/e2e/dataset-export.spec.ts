import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, withOwnApp } from './project-setup'

// The Export view's Dataset tab (issue 15): the labeled images exported as a Keras / torchvision
// folder tree into a folder chosen in the folder browser, with the counts shown matching the files
// on disk; exporting into a folder that is no longer empty is refused with a coded one-line error.

/** Split folder → class folder → files in it, as written on disk. */
function filesOnDisk(dir: string): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {}
  for (const split of readdirSync(dir)) {
    if (!statSync(join(dir, split)).isDirectory()) continue
    for (const folder of readdirSync(join(dir, split))) (counts[split] ??= {})[folder] = readdirSync(join(dir, split, folder)).length
  }
  return counts
}

test('exports the labeled images as a Keras dataset into a folder chosen in the browser, then refuses it once it is not empty', async ({ page }) => {
  test.setTimeout(120_000)
  await withOwnApp('dataset-export', (workDir) => ({ HOME: join(workDir, 'home') }), async (app) => {
    const home = join(app.workDir, 'home')
    const out = join(home, 'datasets', 'flowers')
    mkdirSync(out, { recursive: true })
    const photos = join(app.workDir, 'photos')
    await makeRedBlueFolder(photos, 6, 24)
    await createAndImport(page, app.url, join(app.workDir, 'dataset.pictor'), photos, 12)

    await page.keyboard.press('Control+6')
    await page.getByRole('tab', { name: 'Dataset' }).click()
    const form = page.getByRole('form', { name: 'Export the dataset' })
    const keras = form.getByRole('radio', { name: /^Folders Keras/ })
    await expect(keras).toBeChecked()
    await expect(form.getByRole('radio', { name: /^Folders \+ metadata Hugging Face/ })).toBeVisible()
    // The shard size belongs to WebDataset alone; so does the lack of a links-or-copies choice.
    await expect(form.getByLabel('Shard size (MiB)')).toHaveCount(0)
    await expect(form.getByRole('radio', { name: /^Hard links/ })).toBeChecked()
    await form.getByRole('radio', { name: /^WebDataset/ }).check()
    await expect(form.getByLabel('Shard size (MiB)')).toHaveValue('512')
    await expect(form.getByRole('radio', { name: /^Hard links/ })).toHaveCount(0)
    await keras.check()
    await expect(form.getByLabel('Shard size (MiB)')).toHaveCount(0)

    await form.getByRole('button', { name: 'Browse…' }).click()
    const chooser = page.getByRole('dialog', { name: 'Choose the folder for the dataset' })
    await chooser.getByRole('button', { name: /datasets/ }).click()
    await chooser.getByRole('button', { name: /flowers/ }).click()
    await expect(chooser.getByTestId('folder-path')).toHaveText(/flowers$/)
    await chooser.getByRole('button', { name: 'Choose this folder' }).click()
    await expect(chooser).toHaveCount(0)
    await expect(form.getByLabel('Dataset folder')).toHaveValue(out)

    await form.getByRole('button', { name: 'Export dataset' }).click()
    await expect(page.getByRole('heading', { name: 'Exported 12 images' })).toBeVisible({ timeout: 60_000 })
    await expect(page.getByText('(keras; 12 hard-linked)')).toBeVisible()

    // What the page counts is what is on disk: per split (columns) and class (rows).
    const onDisk = filesOnDisk(out)
    const splits = Object.keys(onDisk)
    expect(Object.values(onDisk).flatMap((classes) => Object.values(classes)).reduce((sum, n) => sum + n, 0)).toBe(12)
    const table = page.getByRole('table', { name: 'Images per split and class' })
    const columns = (await table.locator('thead th').allTextContents()).slice(1)
    expect([...columns].sort()).toEqual([...splits].sort())
    for (const name of ['red', 'blue']) {
      const cells = await table.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) }).getByRole('cell').allTextContents()
      expect(cells, name).toEqual(columns.map((split) => String(onDisk[split]?.[name] ?? 0)))
    }
    const files = page.getByRole('list', { name: 'Files written' })
    for (const entry of [...splits.map((split) => `${split}/`), 'classes.json', 'README.md']) await expect(files).toContainText(entry)
    expect(JSON.parse(readFileSync(join(out, 'classes.json'), 'utf8')).names.sort()).toEqual(['blue', 'red'])
    const sample = join(out, splits[0]!, readdirSync(join(out, splits[0]!))[0]!)
    expect(statSync(join(sample, readdirSync(sample)[0]!)).nlink, 'hard-linked, not copied').toBeGreaterThan(1)

    // The folder now holds the dataset: exporting into it again is refused, saying so, and changes nothing.
    await form.getByRole('button', { name: 'Export dataset' }).click()
    const alert = form.getByRole('alert')
    await expect(alert).toContainText('ALREADY_EXISTS', { timeout: 30_000 })
    await expect(alert).toContainText(`${out} is not empty`)
    expect(filesOnDisk(out)).toEqual(onDisk)
    await expect(page.getByRole('heading', { name: /^Exported/ })).toHaveCount(0)
  })
})
