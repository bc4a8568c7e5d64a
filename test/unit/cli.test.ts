import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { LATEST_SCHEMA_VERSION } from '../../src-main/db/migrations'
import { findElectronBinary } from '../../scripts/electron-binary.js'
import { useTempDir } from '../helpers/temp-dir'

// These run the real `pictor` bin (the built CLI) as a user would; `npm test` builds first.
const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'pictor.js')
const temp = useTempDir()

function pictor(args: string[], dataDir: string) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PICTOR_DATA_DIR: dataDir },
    timeout: 60_000
  })
}

/** Starts a long-running command and resolves with the first URL it prints. */
function firstUrl(args: string[], dataDir: string) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PICTOR_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.push(child)
  const output: string[] = []
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line)
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(line)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output.join('\n')}`)))
  })
  return { url, output }
}

const children: ReturnType<typeof spawn>[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM')
})

describe('pictor CLI', () => {
  it('lists its commands with --help', () => {
    const result = pictor(['--help'], temp())
    expect(result.status).toBe(0)
    for (const command of ['ui', 'create', 'info', 'backups']) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\s`, 'm'))
    expect(result.stdout).toContain('--debug')
  })

  it('rejects an unknown command and a bad option with usage exit code 2', () => {
    expect(pictor(['frobnicate'], temp()).status).toBe(2)
    const bad = pictor(['ui', '--port', 'many'], temp())
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--port must be')
  })

  it('creates a project and reports it as JSON through the same services', () => {
    const file = join(temp(), 'cats.pictor')
    const created = pictor(['create', file, '--name', 'Cats', '--json'], temp())
    expect(created.status).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({ path: file, name: 'Cats', schemaVersion: LATEST_SCHEMA_VERSION })
    expect(existsSync(file)).toBe(true)

    const info = pictor(['info', '--project', file, '--json'], temp())
    expect(info.status).toBe(0)
    expect(JSON.parse(info.stdout)).toMatchObject({
      project: { name: 'Cats' },
      library: { total: 0, labeled: 0, unlabeled: 0, failed: 0, classes: [] }
    })

    const again = pictor(['create', file], temp())
    expect(again.status).toBe(1)
    expect(again.stderr).toContain('ALREADY_EXISTS')
  })

  it('fails clearly on a file that is not a project', () => {
    const result = pictor(['info', '--project', join(temp(), 'missing.pictor')], temp())
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/NOT_FOUND: .*does not exist/)
  })

  it('ui prints the URL with its token on one line and serves the contract with it', async () => {
    const { url } = firstUrl([BIN, 'ui', '--port', '0'], temp())
    const target = new URL(await url)
    const token = target.searchParams.get('token')!
    const call = (headers: Record<string, string>) =>
      fetch(`${target.origin}/api/call/app.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}'
      })
    expect((await call({})).status).toBe(401)
    const answer = await (await call({ authorization: `Bearer ${token}` })).json()
    expect(answer).toMatchObject({ ok: true, value: { transport: 'browser', dataDir: temp() } })
  })

  it('npm start falls back to browser mode and says why when Electron is absent', async (context) => {
    const electron = findElectronBinary(ROOT)
    if (electron.path) context.skip('Electron is installed here, so npm start launches the desktop app')
    const { url, output } = firstUrl([join(ROOT, 'scripts', 'start.js')], temp())
    expect(await url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
    expect(output.join('\n')).toContain('Electron is not available here')
    expect(output.join('\n')).toContain('browser mode')
  })
})
