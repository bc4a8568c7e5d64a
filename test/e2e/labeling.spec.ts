import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { expect, test } from './fixtures'

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

const classCount = (page: Page, name: string) => page.getByTestId(`class-count-${name}`)
const inFilter = (page: Page) => page.locator('.status-line')

async function openLabelView(page: Page, url: string, project: string, create: boolean) {
  await page.goto(url)
  if (create) {
    await page.getByLabel('Project file path').fill(project)
    await page.getByRole('button', { name: 'Create project' }).click()
  } else {
    await page.getByRole('region', { name: 'Recent projects' }).getByRole('button', { name: /labels/ }).first().click()
  }
  await expect(page.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
}

test('labels with the keyboard, undoes, bulk-assigns, renames and merges, and keeps it all across a restart', async ({
  app,
  page
}) => {
  const folder = join(app.workDir, 'photos')
  const project = join(app.workDir, 'labels.pictor')
  await makeFolder(folder)
  await openLabelView(page, app.url, project, true)
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText('10')

  await page.keyboard.press('Control+2')
  await page.getByLabel('Label filter').selectOption('unlabeled')
  await expect(inFilter(page)).toContainText('1 / 6 in this filter')
  await expect(classCount(page, 'cat')).toHaveText('2')

  // One key labels the current image and moves on; the unlabeled filter shrinks.
  await page.keyboard.press('1')
  await expect(inFilter(page)).toContainText('1 / 5 in this filter')
  await expect(classCount(page, 'cat')).toHaveText('3')
  await page.keyboard.press('2')
  await expect(classCount(page, 'dog')).toHaveText('3')
  await expect(inFilter(page)).toContainText('1 / 4 in this filter')

  await page.keyboard.press('Control+z')
  await expect(classCount(page, 'dog')).toHaveText('2')
  await expect(inFilter(page)).toContainText('/ 5 in this filter')
  await page.keyboard.press('Control+Shift+z')
  await expect(classCount(page, 'dog')).toHaveText('3')
  await expect(inFilter(page)).toContainText('/ 4 in this filter')

  // Bulk: select everything in the filter, one key, one undo entry.
  await page.keyboard.press('Control+a')
  await expect(inFilter(page)).toContainText('4 selected')
  await page.keyboard.press('1')
  await expect(classCount(page, 'cat')).toHaveText('7')
  await expect(page.getByTestId('grid-empty')).toBeVisible()
  await page.getByLabel('Label filter').selectOption('any')
  await expect(page.getByTestId('label-progress')).toContainText('10 of 10 labeled')

  // Rename, then merge dog into it.
  await page.getByRole('button', { name: 'Edit cat' }).click()
  const editor = page.getByRole('group', { name: 'Edit class cat' })
  await editor.getByLabel('Class name').fill('kitty')
  await editor.getByRole('button', { name: 'Rename' }).click()
  await expect(classCount(page, 'kitty')).toHaveText('7')
  await page.getByRole('button', { name: 'Edit dog' }).click()
  const dogEditor = page.getByRole('group', { name: 'Edit class dog' })
  await dogEditor.getByLabel('Merge into').selectOption({ label: 'kitty' })
  await dogEditor.getByRole('button', { name: 'Merge' }).click()
  await expect(classCount(page, 'kitty')).toHaveText('10')
  await expect(classCount(page, 'dog')).toHaveCount(0)

  // A restart of the server loses nothing: labels, classes and the undo history are on disk.
  const restarted = await app.restart()
  await openLabelView(page, restarted.url, project, false)
  await page.keyboard.press('Control+2')
  await expect(classCount(page, 'kitty')).toHaveText('10')
  await page.keyboard.press('Control+z')
  await expect(classCount(page, 'dog')).toHaveText('3')
  await expect(classCount(page, 'kitty')).toHaveText('7')
  await page.keyboard.press('Control+z')
  await expect(classCount(page, 'kitty')).toHaveText('3')
  await page.keyboard.press('Control+Shift+z')
  await expect(classCount(page, 'kitty')).toHaveText('7')
})

test('opens the detail view with Space and shows the shortcut sheet with ?', async ({ app, page }) => {
  const folder = join(app.workDir, 'photos')
  await makeFolder(folder)
  await openLabelView(page, app.url, join(app.workDir, 'detail.pictor'), true)
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText('10')
  await page.keyboard.press('Control+2')
  await expect(inFilter(page)).toContainText('1 / 10 in this filter')
  await page.keyboard.press(' ')
  const dialog = page.getByRole('dialog', { name: /Details of/ })
  await expect(dialog).toContainText('48 × 48 px')
  await expect(dialog.getByRole('img')).toHaveJSProperty('naturalWidth', 48)
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
  await page.keyboard.press('?')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
})

test('a label key is one call, and another window follows the change from its event alone', async ({ app, page }) => {
  const folder = join(app.workDir, 'photos')
  await makeFolder(folder)
  await openLabelView(page, app.url, join(app.workDir, 'windows.pictor'), true)
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText('10')
  await page.keyboard.press('Control+2')
  await page.getByLabel('Label filter').selectOption('unlabeled')
  await expect(inFilter(page)).toContainText('1 / 6 in this filter')

  // A second window (same browser, same server) on the Label view of the open project.
  const other = await page.context().newPage()
  await other.goto(app.url)
  await expect(other.getByRole('heading', { name: 'Library', level: 1 })).toBeVisible()
  await other.keyboard.press('Control+2')
  await expect(classCount(other, 'cat')).toHaveText('2')
  const undoButton = (window: Page) => window.getByRole('button', { name: 'Undo' })
  await expect(undoButton(other)).toBeDisabled()

  const calls = new Map<Page, string[]>([[page, []], [other, []]])
  for (const [window, list] of calls) {
    window.on('request', (request) => {
      const path = new URL(request.url()).pathname
      if (path.startsWith('/api/call/')) list.push(path.slice('/api/call/'.length))
    })
  }
  await page.keyboard.press('1')
  await page.keyboard.press('2')
  for (const window of [page, other]) {
    await expect(classCount(window, 'cat')).toHaveText('3')
    await expect(classCount(window, 'dog')).toHaveText('3')
    await expect(window.getByTestId('label-progress')).toContainText('6 of 10 labeled')
    await expect(undoButton(window)).toHaveAttribute('title', 'Label image as dog')
  }
  await expect(inFilter(page)).toContainText('1 / 4 in this filter')
  // Long enough for any delayed re-read to have gone out.
  await page.waitForTimeout(800)
  expect(calls.get(page)).toEqual(['labels.assign', 'labels.assign'])
  expect(calls.get(other)).toEqual([])

  // Undo in the other window: this one follows, again without asking.
  await other.keyboard.press('Control+z')
  await expect(classCount(page, 'dog')).toHaveText('2')
  await expect(undoButton(page)).toHaveAttribute('title', 'Label image as cat')
  await page.waitForTimeout(800)
  expect(calls.get(page)).toEqual(['labels.assign', 'labels.assign'])
})
