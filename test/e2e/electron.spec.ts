import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron as electron } from '@playwright/test'
// Plain-JS helpers shared with `npm start`, so the test and the launcher agree on what "present" means.
import { findElectronBinary } from '../../scripts/electron-binary.js'
import type { PictorBridge } from '../../src-main/contract/bridge'
import { expect, test } from './fixtures'

type BridgeGlobal = { pictor?: PictorBridge }

const ROOT = join(import.meta.dirname, '..', '..')
const binary = findElectronBinary(ROOT)

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
      const page = await app.firstWindow()
      await expect(page.getByRole('heading', { name: 'Pictor', level: 1 })).toBeVisible()
      // The renderer sees the bridge and nothing of Node or ipcRenderer.
      const surface = await page.evaluate(() => ({
        bridge: Object.keys((globalThis as BridgeGlobal).pictor ?? {}).sort(),
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process
      }))
      expect(surface).toEqual({ bridge: ['call', 'onEvent', 'transport'], require: 'undefined', process: 'undefined' })
      const file = join(workDir, 'desk.pictor')
      const created = await page.evaluate(
        (path) => (globalThis as BridgeGlobal).pictor!.call('project.create', { path }),
        file
      )
      expect(created).toMatchObject({ ok: true, value: { name: 'desk' } })
      await expect(page.getByTestId('library-empty')).toBeVisible()
    } finally {
      await app.close()
      rmSync(workDir, { recursive: true, force: true })
    }
  })
})
