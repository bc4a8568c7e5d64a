import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron as electron, chromium, type Browser, type Page } from '@playwright/test'
// Plain-JS helpers shared with `npm start`, so the test and the launcher agree on what "present" means.
import { findElectronBinary } from '../../scripts/electron-binary.js'
import type { PictorBridge } from '../../src-main/contract/bridge'
import { expect, test } from './fixtures'

type BridgeGlobal = { pictor?: PictorBridge }

const ROOT = join(import.meta.dirname, '..', '..')
const binary = findElectronBinary(ROOT)
// The release workflow points this at the packaged app's executable (.github/workflows/release.yml).
const PACKAGED_APP = process.env.PICTOR_PACKAGED_APP

/** The window shows the app, the renderer sees only the bridge, and the bridge creates a project. */
async function createsAProject(page: Page, workDir: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Pictor', level: 1 })).toBeVisible()
  // The renderer sees the bridge and nothing of Node or ipcRenderer.
  const surface = await page.evaluate(() => ({
    bridge: Object.keys((globalThis as BridgeGlobal).pictor ?? {}).sort(),
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process
  }))
  expect(surface).toEqual({ bridge: ['call', 'onEvent', 'transport'], require: 'undefined', process: 'undefined' })
  const file = join(workDir, 'desk.pictor')
  const created = await page.evaluate((path) => (globalThis as BridgeGlobal).pictor!.call('project.create', { path }), file)
  expect(created).toMatchObject({ ok: true, value: { name: 'desk' } })
  await expect(page.getByTestId('library-empty')).toBeVisible()
}

test.describe('desktop app (Electron)', () => {
  // Reported as skipped, with the reason, wherever Electron's binary cannot be had (offline CI).
  test.skip(!binary.path, `Electron binary not present: ${'reason' in binary ? binary.reason : ''}`)

  test('launches sandboxed, exposes only the bridge, and creates a project', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'pictor-electron-'))
    const app = await electron.launch({
      executablePath: binary.path!,
      args: [ROOT],
      env: { ...process.env, PICTOR_DATA_DIR: join(workDir, 'data') }
    })
    try {
      await createsAProject(await app.firstWindow(), workDir)
    } finally {
      await app.close()
      rmSync(workDir, { recursive: true, force: true })
    }
  })

  test('opens a .pictor file it is started with, as a file manager starts it', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'pictor-electron-open-'))
    const env = { ...process.env, PICTOR_DATA_DIR: join(workDir, 'data') }
    const file = join(workDir, 'Birds.pictor')
    const created = spawnSync(process.execPath, [join(ROOT, 'bin', 'pictor.js'), 'create', file], { env, encoding: 'utf8' })
    expect(created.status, created.stderr).toBe(0)
    const app = await electron.launch({ executablePath: binary.path!, args: [ROOT, file], env })
    try {
      const page = await app.firstWindow()
      await expect(page.getByTestId('library-empty')).toBeVisible()
      const current = await page.evaluate(() => (globalThis as BridgeGlobal).pictor!.call('project.current', {}))
      expect(current).toMatchObject({ ok: true, value: { name: 'Birds', path: file } })
    } finally {
      await app.close()
      rmSync(workDir, { recursive: true, force: true })
    }
  })
})

/** Chromium's DevTools endpoint of a starting app, once it answers. */
async function connectWhenUp(port: number): Promise<Browser> {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      return await chromium.connectOverCDP(`http://127.0.0.1:${port}`)
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

async function firstWindow(browser: Browser): Promise<Page> {
  await expect.poll(() => browser.contexts().flatMap((context) => context.pages()).length, { timeout: 30_000 }).toBeGreaterThan(0)
  return browser.contexts().flatMap((context) => context.pages())[0]!
}

test.describe('packaged app (release workflow)', () => {
  test.skip(!PACKAGED_APP, 'PICTOR_PACKAGED_APP is not set: only the release workflow packages the app with a real Electron')

  test('starts with its fuses flipped, exposes only the bridge, and creates a project', async () => {
    // Playwright's electron.launch drives the main process through --inspect, which the packaged
    // app's fuses refuse (that is the point): drive its window over Chromium's DevTools protocol.
    const workDir = mkdtempSync(join(tmpdir(), 'pictor-packaged-'))
    const port = 9400 + Math.floor(Math.random() * 500)
    const app = spawn(PACKAGED_APP!, [`--remote-debugging-port=${port}`], {
      env: { ...process.env, PICTOR_DATA_DIR: join(workDir, 'data') },
      stdio: 'inherit'
    })
    try {
      const browser = await connectWhenUp(port)
      await createsAProject(await firstWindow(browser), workDir)
      await browser.close()
    } finally {
      app.kill()
      rmSync(workDir, { recursive: true, force: true })
    }
  })
})
