import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from './fixtures'

/** A small labeled folder with two good classes, a split folder and three kinds of bad file. */
async function makeFolder(root: string): Promise<void> {
  for (const [folder, shade] of [
    ['cats', 40],
    ['dogs', 160],
    ['test/cats', 90]
  ] as const) {
    mkdirSync(join(root, folder), { recursive: true })
    for (let index = 0; index < 3; index++) {
      await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: shade, g: index * 60, b: 120 } } })
        .jpeg()
        .toFile(join(root, folder, `${index}.jpg`))
    }
  }
  writeFileSync(join(root, 'cats', 'broken.jpg'), 'this is not a JPEG')
  writeFileSync(join(root, 'empty.png'), '')
  const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#888' } }).png().toBuffer()
  writeFileSync(join(root, 'dogs', 'truncated.png'), png.subarray(0, png.length / 2))
  writeFileSync(join(root, 'notes.txt'), 'not an image')
}

test('imports a folder from the UI with progress, a summary and thumbnails', async ({ app, page }) => {
  const folder = join(app.workDir, 'photos')
  await makeFolder(folder)
  await page.goto(app.url)
  await page.getByLabel('Project file path').fill(join(app.workDir, 'pets.pictor'))
  await page.getByRole('button', { name: 'Create project' }).click()
  await expect(page.getByTestId('library-empty')).toBeVisible()

  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()

  const summary = page.getByTestId('import-summary')
  await expect(summary).toContainText('Import finished')
  await expect(page.getByTestId('import-new')).toHaveText('9')
  await expect(page.getByTestId('import-failed')).toHaveText('3')
  await expect(page.getByTestId('import-skipped')).toHaveText('1')
  await expect(summary).toContainText('cats · 6')
  await expect(summary).toContainText('dogs · 3')
  await summary.getByText('3 files could not be imported').click()
  await expect(summary).toContainText('NOT_AN_IMAGE')
  await expect(summary).toContainText('EMPTY_FILE')
  await expect(summary).toContainText('CORRUPT')

  await expect(page.getByTestId('count-total')).toHaveText('9')
  await expect(page.getByTestId('count-labeled')).toHaveText('9')
  await expect(page.getByTestId('count-classes')).toHaveText('2')
  const thumbnails = page.getByRole('list', { name: 'Imported images' }).getByRole('img')
  await expect(thumbnails).toHaveCount(9)
  // Every thumbnail really decoded in the browser (served through the token-guarded route).
  const widths = await thumbnails.evaluateAll((images) => images.map((image) => (image as unknown as { naturalWidth: number }).naturalWidth))
  expect(widths).toEqual(Array(9).fill(64))

  // Importing again finds nothing new and says so; the bad files are tried again and still fail.
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-unchanged')).toHaveText('9')
  await expect(page.getByTestId('import-new')).toHaveText('0')
  await expect(page.getByTestId('import-failed')).toHaveText('3')
})

test('explains a folder that does not exist', async ({ app, page }) => {
  await page.goto(app.url)
  await page.getByLabel('Project file path').fill(join(app.workDir, 'x.pictor'))
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.getByLabel('Folder to import').fill(join(app.workDir, 'nowhere'))
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByRole('alert')).toContainText('does not exist')
})
