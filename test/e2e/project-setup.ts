// Setup shared by the e2e specs that need a project with images (and a trained run) before the
// part they test: synthetic image folders, create + import, a quick CNN, an app of a test's own.
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { type BrowserModeApp, expect, startBrowserMode } from './fixtures'

/**
 * Two visibly different classes, red/ and blue/, of `perClass` noisy `size`×`size` images: a CNN
 * separates them within an epoch or two.
 */
export async function makeRedBlueFolder(root: string, perClass: number, size: number): Promise<void> {
  for (const [name, base] of [
    ['red', [200, 40, 40]],
    ['blue', [40, 40, 200]]
  ] as const) {
    mkdirSync(join(root, name), { recursive: true })
    for (let index = 0; index < perClass; index++) {
      const pixels = Buffer.alloc(size * size * 3)
      let seed = index * 7919 + base[0]
      for (let p = 0; p < pixels.length; p++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        pixels[p] = Math.min(255, base[p % 3]! + (seed >>> 25))
      }
      await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toFile(join(root, name, `${index}.png`))
    }
  }
}

/**
 * A 128×128 PNG of a red disc or a blue square on grey, 40 + 4·`index` px across: shapes that
 * MobileNetV2's features tell apart at once.
 */
export async function writeShape(path: string, shape: 'disc' | 'square', index: number): Promise<void> {
  const size = 40 + index * 4
  const body =
    shape === 'disc'
      ? `<circle cx="64" cy="64" r="${size / 2}" fill="#d02020"/>`
      : `<rect x="${64 - size / 2}" y="${64 - size / 2}" width="${size}" height="${size}" fill="#2040d0"/>`
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128"><rect width="128" height="128" fill="#888"/>${body}</svg>`
  mkdirSync(dirname(path), { recursive: true })
  await sharp(Buffer.from(svg)).png().toFile(path)
}

/** Creates the project `project` from the welcome screen and imports `folder`, which adds `images` images. */
export async function createAndImport(page: Page, url: string, project: string, folder: string, images: number): Promise<void> {
  await page.goto(url)
  await page.getByLabel('Project file path').fill(project)
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.getByLabel('Folder to import').fill(folder)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await expect(page.getByTestId('import-new')).toHaveText(String(images))
}

/** Trains the seed CNN for `epochs` epochs from the Train view and waits for run `runId` to finish. */
export async function trainCnn(page: Page, runId: number, epochs: number, timeout: number): Promise<void> {
  await page.keyboard.press('Control+4')
  // Chosen explicitly: with MobileNetV2's weights installed it would be the default.
  await page.getByLabel('Model').selectOption('cnn')
  await page.getByLabel('Epochs').fill(String(epochs))
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByTestId(`run-${runId}`).locator('.status')).toHaveText('done', { timeout })
}

/**
 * Runs `test` against a `pictor ui` of its own, in a fresh folder named after `name`, for a test
 * that needs an environment the shared fixture does not give (another models folder); stops the
 * app and removes the folder after, pass or fail.
 */
export async function withOwnApp(name: string, env: (workDir: string) => NodeJS.ProcessEnv, test: (app: BrowserModeApp) => Promise<void>): Promise<void> {
  const workDir = join(process.env.TMPDIR ?? '/tmp', `pictor-e2e-${name}-${process.pid}`)
  rmSync(workDir, { recursive: true, force: true })
  mkdirSync(workDir, { recursive: true })
  const app = await startBrowserMode(workDir, 0, env(workDir))
  try {
    await test(app)
  } finally {
    await app.stop()
    rmSync(workDir, { recursive: true, force: true })
  }
}
