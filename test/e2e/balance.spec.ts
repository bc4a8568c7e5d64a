import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from './fixtures'

/** 30 "big" images and 6 "small" ones, all without split folders. */
async function makeFolder(root: string): Promise<void> {
  for (const [name, count] of [
    ['big', 30],
    ['small', 6]
  ] as const) {
    mkdirSync(join(root, name), { recursive: true })
    for (let index = 0; index < count; index++) {
      // Independent noise per image (a seeded generator), so no two are near-duplicates grouped together.
      let seed = (index + 1) * 2654435761 + name.length * 97
      const noise = Buffer.from(
        Array.from({ length: 16 * 16 * 3 }, () => {
          seed = (seed * 1103515245 + 12345) % 2147483648
          return seed >>> 23
        })
      )
      await sharp(noise, { raw: { width: 16, height: 16, channels: 3 } }).resize(64, 64).png().toFile(join(root, name, `${index}.png`))
    }
  }
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

  const table = page.getByRole('table', { name: 'Images per class and split' })
  await expect(table.getByRole('row', { name: /^big/ })).toContainText('30')
  await page.getByRole('button', { name: 'Assign splits' }).click()
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
