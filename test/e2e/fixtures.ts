import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test as base } from '@playwright/test'
import { SHARED_MODELS_DIR } from '../helpers/shared-assets'

export interface BrowserModeApp {
  /** The URL with the launch token, as `pictor ui` prints it. */
  url: string
  origin: string
  token: string
  /** A fresh folder for this test's projects and data. */
  workDir: string
  stop(): Promise<void>
  restart(): Promise<BrowserModeApp>
}

const ROOT = join(import.meta.dirname, '..', '..')

/**
 * Starts `pictor ui` as a user would, and reads the URL from its first line of output. Base models
 * come from ../shared (or $PICTOR_MODELS_DIR), as for the unit tests, unless `env` says otherwise.
 */
export async function startBrowserMode(workDir: string, port = 0, env: NodeJS.ProcessEnv = {}): Promise<BrowserModeApp> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin', 'pictor.js'), 'ui', '--port', String(port)], {
    cwd: workDir,
    env: { ...process.env, PICTOR_MODELS_DIR: SHARED_MODELS_DIR, PICTOR_DATA_DIR: join(workDir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => reject(new Error(`pictor ui printed no URL in 30 s: ${stderr}`)), 30_000)
    lines.on('line', (line) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(line)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => reject(new Error(`pictor ui exited with ${code}: ${stderr}`)))
  })
  const parsed = new URL(url)
  const stop = () =>
    new Promise<void>((resolve) => {
      // Exited, or killed by a signal (a test may kill -9 the app: then only signalCode is set).
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    workDir,
    stop,
    restart: async () => {
      await stop()
      return startBrowserMode(workDir, Number(parsed.port), env)
    }
  }
}

export const test = base.extend<{ app: BrowserModeApp }>({
  app: async ({}, use) => {
    const workDir = mkdtempSync(join(tmpdir(), 'pictor-e2e-'))
    const app = await startBrowserMode(workDir)
    await use(app)
    await app.stop()
    rmSync(workDir, { recursive: true, force: true })
  }
})

export { expect } from '@playwright/test'
