import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from './fixtures'
import { createAndImport, withOwnApp } from './project-setup'

// Library → "Import labels from a CSV…" (issue 15): a path,label CSV chosen in the folder browser is
// checked first (matched, unmatched and conflicting rows, new classes, nothing written), then applied
// as one step: the Library and the Label view count the new labels, and Undo — the card's button or
// Ctrl+Z in the Label view — takes the whole import back.

/** cat/ and dog/ with two images each, and six unlabeled images at the top. */
async function makeFolder(root: string): Promise<void> {
  const write = async (folder: string, count: number, shade: number) => {
    mkdirSync(join(root, folder), { recursive: true })
    for (let index = 0; index < count; index++) {
      await sharp({ create: { width: 48, height: 48, channels: 3, background: { r: shade, g: index * 30, b: 90 } } })
        .png()
        .toFile(join(root, folder, `${folder || 'new'}-${index}.png`))
    }
  }
  await write('cat', 2, 30)
  await write('dog', 2, 200)
  await write('', 6, 120)
}

test('checks a label CSV, applies it as one step the Label view counts, and undoes it', async ({ page }) => {
  test.setTimeout(120_000)
  await withOwnApp('label-import', (workDir) => ({ HOME: join(workDir, 'home') }), async (app) => {
    const home = join(app.workDir, 'home')
    const photos = join(home, 'photos')
    await makeFolder(photos)
    mkdirSync(join(home, 'labels'), { recursive: true })
    const csv = join(home, 'labels', 'labels.csv')
    // Relative paths are read from the CSV's folder, as the CLI reads them.
    const rows = [
      ['../photos/new-0.png', 'cat'], // newly labeled
      ['../photos/new-1.png', 'bird'], // newly labeled, a new class
      [join(photos, 'new-2.png'), 'bird'], // an absolute path works too
      ['../photos/cat/cat-0.png', 'dog'], // relabeled
      ['../photos/gone.png', 'cat'], // no such image
      ['../photos/new-3.png', 'cat'], // two labels for one image: left alone
      ['../photos/new-3.png', 'dog']
    ]
    writeFileSync(csv, `path,label\n${rows.map((row) => row.join(',')).join('\n')}\n`)
    await createAndImport(page, app.url, join(app.workDir, 'labels.pictor'), photos, 10)
    await expect(page.getByTestId('count-labeled')).toHaveText('4')

    const card = page.getByRole('region', { name: 'Labels from a CSV' })
    await card.getByRole('button', { name: 'Import labels from a CSV…' }).click()
    const form = card.getByRole('form', { name: 'Import labels from a CSV' })

    // A path typed by hand must be absolute: the refusal says so, in one line.
    await form.getByLabel('Label CSV').fill('labels.csv')
    await form.getByRole('button', { name: 'Check' }).click()
    await expect(form.getByRole('alert')).toContainText('absolute path')

    await form.getByLabel('Label CSV').fill('')
    await form.getByRole('button', { name: 'Browse…' }).click()
    const chooser = page.getByRole('dialog', { name: 'Choose a label CSV' })
    await chooser.getByRole('button', { name: 'labels', exact: true }).click()
    await chooser.getByRole('button', { name: /labels\.csv/ }).click()
    await chooser.getByRole('button', { name: 'Choose file' }).click()
    await expect(chooser).toHaveCount(0)
    await expect(form.getByLabel('Label CSV')).toHaveValue(csv)
    await expect(form.getByRole('radio', { name: /^Automatic/ })).toBeChecked()
    await expect(form.getByRole('button', { name: /^Apply/ })).toBeDisabled()

    // Check: the report, with nothing written yet.
    await form.getByRole('button', { name: 'Check' }).click()
    const report = card.getByRole('group', { name: 'Label import report' })
    await expect(report.getByTestId('rows-total')).toHaveText('7')
    await expect(report.getByTestId('rows-matched')).toHaveText('6')
    await expect(report.getByTestId('rows-unmatched')).toHaveText('1')
    await expect(report.getByTestId('images-labeled')).toHaveText('3')
    await expect(report.getByTestId('images-changed')).toHaveText('1')
    await expect(report.getByTestId('images-conflicting')).toHaveText('1')
    await expect(report.getByTestId('new-classes')).toHaveText('bird')
    await expect(report).toContainText('by file path (the file has no sha256 column)')
    await report.getByText('Unmatched rows').click()
    await expect(report.getByRole('list', { name: 'Unmatched rows' })).toContainText('line 6: ../photos/gone.png')
    await report.getByText('Conflicts').click()
    await expect(report.getByRole('list', { name: 'Conflicting images' })).toContainText(`${join(photos, 'new-3.png')}: cat, dog`)
    await expect(page.getByTestId('count-labeled')).toHaveText('4')

    // Apply, then the card's own Undo.
    await form.getByRole('button', { name: 'Apply to 4 images' }).click()
    const applied = card.getByRole('status', { name: 'Labels imported' })
    await expect(applied).toContainText('“Import labels from labels.csv (4 images)”')
    await expect(page.getByTestId('count-labeled')).toHaveText('7')
    await applied.getByRole('button', { name: 'Undo import' }).click()
    await expect(applied).toContainText('Undone')
    await expect(page.getByTestId('count-labeled')).toHaveText('4')

    // Again, by the keyboard alone this time: the file is still chosen.
    await form.getByRole('button', { name: 'Check' }).focus()
    await page.keyboard.press('Enter')
    await expect(report.getByTestId('images-labeled')).toHaveText('3')
    await page.keyboard.press('Tab')
    await expect(form.getByRole('button', { name: 'Apply to 4 images' })).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(applied).toContainText('“Import labels from labels.csv (4 images)”')
    await expect(page.getByTestId('count-labeled')).toHaveText('7')
    await expect(applied.getByRole('button', { name: 'Undo import' })).toBeFocused()

    // The Label view counts the imported labels, and Ctrl+Z there takes the whole import back.
    await page.keyboard.press('Control+2')
    await expect(page.getByTestId('class-count-bird')).toHaveText('2')
    await expect(page.getByTestId('class-count-cat')).toHaveText('2')
    await expect(page.getByTestId('class-count-dog')).toHaveText('3')
    await expect(page.getByTestId('label-progress')).toContainText('7 of 10 labeled')
    await expect(page.getByRole('button', { name: 'Undo' })).toHaveAttribute('title', 'Import labels from labels.csv (4 images)')
    await page.keyboard.press('Control+z')
    await expect(page.getByTestId('class-count-dog')).toHaveText('2')
    await expect(page.getByTestId('class-count-cat')).toHaveText('2')
    await expect(page.getByTestId('label-progress')).toContainText('4 of 10 labeled')
  })
})
