import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from './fixtures'

/** Noisy 64×64 PNGs, `count` of them in `root`/`dir`; `salt` keeps every folder's images distinct. */
async function writeNoise(root: string, dir: string, count: number, salt: number): Promise<void> {
  mkdirSync(join(root, dir), { recursive: true })
  for (let index = 0; index < count; index++) {
    // Independent noise per image (a seeded generator), so no two are near-duplicates grouped together.
    let seed = (index + 1) * 2654435761 + dir.length * 97 + salt * 7919
    const noise = Buffer.from(
      Array.from({ length: 16 * 16 * 3 }, () => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed >>> 23
      })
    )
    await sharp(noise, { raw: { width: 16, height: 16, channels: 3 } }).resize(64, 64).png().toFile(join(root, dir, `${index}.png`))
  }
}

/** 30 "big" images and 6 "small" ones, all without split folders. */
async function makeFolder(root: string): Promise<void> {
  await writeNoise(root, 'big', 30, 0)
  await writeNoise(root, 'small', 6, 0)
}

test('shows class balance, assigns splits and warns about small classes', async ({ app, page }) => {
  const folder = join(app.workDir, 'photos')
  await makeFolder(folder)
  await page.goto(app.url)
  await page.getByLabel('Project file path').fill(join(app.workDir, 'balance.pictor'))
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText('36')

  await page.keyboard.press('Control+3')
  await expect(page.getByTestId('imbalance-ratio')).toHaveText('5 : 1')
  const warnings = page.getByRole('list', { name: 'Warnings' })
  await expect(warnings).toContainText('“small” has 6 training images')
  await expect(warnings).toContainText('5× the smallest')

  const table = page.getByRole('table', { name: 'Images per class and split', exact: true })
  await expect(table.getByRole('row', { name: /^big/ })).toContainText('30')
  await page.getByRole('button', { name: 'Assign splits' }).click()
  await page.getByRole('region', { name: 'Split preview' }).getByRole('button', { name: 'Apply' }).click()
  // Every image now has a split, and both classes reach validation and test.
  const bigRow = table.getByRole('row', { name: /^big/ }).getByRole('cell')
  await expect(bigRow.nth(4)).toHaveText('0')
  const counts = await bigRow.allTextContents()
  const [train, val, test] = counts.slice(1, 4).map(Number)
  expect(train! + val! + test!).toBe(30)
  expect(val).toBeGreaterThan(0)
  expect(test).toBeGreaterThan(0)
  const smallRow = await table.getByRole('row', { name: /^small/ }).getByRole('cell').allTextContents()
  expect(Number(smallRow[2])).toBeGreaterThan(0)
  expect(Number(smallRow[3])).toBeGreaterThan(0)
})

// Issue 14, finding 2: a folder with train/ and test/ only. Balance says in one line that the classes
// have no validation images; Assign splits shows per class what moves before anything does, applies
// it (train → val, test untouched), and the assignment can be undone.
test('assign splits tops validation up from train with a preview, and undoes it', async ({ app, page }) => {
  const folder = join(app.workDir, 'flowers')
  const classes = ['bluebell', 'crocus', 'daisy']
  for (const [index, name] of classes.entries()) {
    await writeNoise(folder, `train/${name}`, 46, index * 2 + 1)
    await writeNoise(folder, `test/${name}`, 4, index * 2 + 2)
  }
  await page.goto(app.url)
  await page.getByLabel('Project file path').fill(join(app.workDir, 'flowers.pictor'))
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText('150')

  await page.keyboard.press('Control+3')
  const warnings = page.getByRole('list', { name: 'Warnings' })
  await expect(warnings).toContainText('3 classes have too few validation images (“bluebell” 0, “crocus” 0, “daisy” 0)')
  await expect(warnings.getByRole('listitem').filter({ hasText: 'validation' })).toHaveCount(1)

  const table = page.getByRole('table', { name: 'Images per class and split', exact: true })
  const cells = (name: string) => table.getByRole('row', { name: new RegExp(`^${name}`) }).getByRole('cell')
  await page.getByRole('button', { name: 'Assign splits' }).click()
  const preview = page.getByRole('region', { name: 'Split preview' })
  await expect(preview.getByTestId('split-preview-summary')).toContainText('15 images will change split, 15 training images moving to validation')
  const previewRow = preview.getByRole('table').getByRole('row', { name: /^bluebell/ }).getByRole('cell')
  // 50 images × 10 % = 5 to validation (the fewest a warning accepts), from train; test keeps its 4.
  await expect(previewRow).toHaveText(['bluebell', '41 −5', '5 +5', '4', '0'])
  // Nothing has moved yet.
  await expect(cells('bluebell')).toHaveText(['bluebell', '46', '0', '4', '0', '50'])
  await page.screenshot({ path: 'test-results/balance-split-preview.png', fullPage: true })

  await preview.getByRole('button', { name: 'Apply' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Splits assigned' })).toContainText('15 images changed')
  for (const name of classes) await expect(cells(name)).toHaveText([name, '41', '5', '4', '0', '50'])
  await expect(warnings.filter({ hasText: 'validation image' })).toHaveCount(0)

  await page.getByRole('button', { name: 'Undo assignment' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Assignment undone' })).toContainText('15 images back where they were')
  for (const name of classes) await expect(cells(name)).toHaveText([name, '46', '0', '4', '0', '50'])
  await expect(page.getByRole('button', { name: 'Undo assignment' })).toHaveCount(0)
})
