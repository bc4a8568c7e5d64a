import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Envelope } from '../../../src-main/contract/envelope'
import { LATEST_SCHEMA_VERSION } from '../../../src-main/db/migrations'
import { createServices, type Services } from '../../../src-main/services/services'
import { errorLines, runPictor, shareWithUnprivileged, startPictorUi, type RunningUi } from '../../helpers/pictor-process'
import { useTempDir } from '../../helpers/temp-dir'

// Issue 13, defect 3: errors a user can cause reached them as INTERNAL (ENAMETOOLONG, a CHECK
// constraint, "attempt to write a readonly database"), and the CLI printed stack traces.

const tempDir = useTempDir()
const opened: Services[] = []
const running: RunningUi[] = []
afterEach(async () => {
  for (const services of opened.splice(0)) services.close()
  for (const ui of running.splice(0)) await ui.stop()
})

function services(): Services {
  const made = createServices({ dataDir: join(tempDir(), 'data'), transport: 'browser' })
  opened.push(made)
  return made
}

function errorOf(envelope: Envelope<unknown>): { code: string; message: string } {
  if (envelope.ok) throw new Error(`expected a failed envelope, got ${JSON.stringify(envelope)}`)
  return envelope.error
}

describe('errors a user can cause have a code', () => {
  it('answers INVALID_REQUEST, not INTERNAL, for a file name longer than the system allows', async () => {
    const app = services()
    for (const path of [join(tempDir(), `${'a'.repeat(300)}.pictor`), join(tempDir(), 'a'.repeat(300), 'b.pictor')]) {
      for (const method of ['project.open', 'project.create']) {
        const error = errorOf(await app.dispatch(method, { path }))
        expect(error.code, method).toBe('INVALID_REQUEST')
        expect(error.message).toMatch(/too long/)
      }
    }
  })

  it('refuses names with control characters at the boundary, and over-long ones', async () => {
    const app = services()
    expect((await app.dispatch('project.create', { path: join(tempDir(), 'p.pictor') })).ok).toBe(true)
    for (const name of ['\u0000', 'cat\u0000', 'a\u0007b', 'line\nbreak', '\u001b[31mred', 'x'.repeat(101)]) {
      const error = errorOf(await app.dispatch('classes.create', { name }))
      expect(error.code, JSON.stringify(name)).toBe('INVALID_REQUEST')
      expect(error.message).toMatch(/^classes\.create: name: /)
    }
    const created = await app.call('classes.create', { name: 'Chats siamois 🐈' })
    expect(created.ok).toBe(true)
    const id = created.ok ? created.value.id : 0
    expect(errorOf(await app.dispatch('classes.update', { id, name: 'tab\there' })).code).toBe('INVALID_REQUEST')
    expect(errorOf(await app.dispatch('project.create', { path: join(tempDir(), 'q.pictor'), name: 'a\u0000b' })).code).toBe('INVALID_REQUEST')
  })
})

describe('a read-only project', () => {
  /** A project with one class, made writable, then closed: what a user copies from a read-only share. */
  function makeProject(folder: string): string {
    mkdirSync(folder, { recursive: true })
    const path = join(folder, 'shared.pictor')
    const made = runPictor(['create', path, '--name', 'Shared'], { dataDir: join(tempDir(), 'maker') })
    expect(made.status, made.stderr).toBe(0)
    return path
  }

  async function uiAsUser(): Promise<RunningUi> {
    const dataDir = join(tempDir(), 'data')
    mkdirSync(dataDir)
    shareWithUnprivileged([tempDir()], [dataDir])
    const ui = await startPictorUi({ dataDir, unprivileged: true })
    running.push(ui)
    return ui
  }

  for (const [what, lock] of [
    ['a read-only file in a writable folder', (path: string) => chmodSync(path, 0o444)],
    ['a writable-looking file in a read-only folder', (path: string) => chmodSync(join(path, '..'), 0o555)],
    ['a read-only file in a read-only folder', (path: string) => (chmodSync(path, 0o444), chmodSync(join(path, '..'), 0o555))]
  ] as const) {
    it(`opens ${what} read-only, creates nothing beside it, and refuses writes with READ_ONLY`, async () => {
      const folder = join(tempDir(), 'share')
      const path = makeProject(folder)
      chmodSync(folder, 0o755)
      lock(path)
      const ui = await uiAsUser()
      try {
        const open = await ui.call('project.open', { path })
        expect(open).toMatchObject({ ok: true, value: { path, name: 'Shared', readOnly: true, schemaVersion: LATEST_SCHEMA_VERSION } })
        expect(await ui.call('library.summary')).toMatchObject({ ok: true, value: { total: 0 } })
        expect(await ui.call('classes.list')).toMatchObject({ ok: true, value: [] })

        for (const [method, request] of [
          ['classes.create', { name: 'cats' }],
          ['splits.assign', {}],
          ['import.start', { folder: tempDir() }],
          ['train.start', {}]
        ] as const) {
          const error = errorOf(await ui.call(method, request))
          expect(error.code, method).toBe('READ_ONLY')
          expect(error.message, method).toMatch(/read-only/)
          expect(error.message).not.toMatch(/\n|SQLITE|attempt to write/)
        }
        expect(readdirSync(folder)).toEqual(['shared.pictor'])
      } finally {
        chmodSync(folder, 0o755)
        chmodSync(path, 0o644)
      }
    })
  }

  it('opens a writable project writable', async () => {
    const folder = join(tempDir(), 'mine')
    const path = makeProject(folder)
    const app = services()
    expect(await app.call('project.open', { path })).toMatchObject({ ok: true, value: { readOnly: false } })
    expect((await app.call('classes.create', { name: 'cats' })).ok).toBe(true)
  })
})

describe('the CLI never prints a stack trace without --debug', () => {
  it('prints one line when the working folder has gone, and the stack with --debug', () => {
    const gone = join(tempDir(), 'gone')
    mkdirSync(gone)
    const dataDir = join(tempDir(), 'data')
    // The child starts in the folder, which is removed under it: process.cwd() then fails. (`node -e`
    // puts its first argument at argv[1], where the bin's path would be.)
    const script = `process.chdir(${JSON.stringify(gone)}); require('node:fs').rmdirSync(${JSON.stringify(gone)}); import(${JSON.stringify(join(import.meta.dirname, '..', '..', '..', 'bin', 'pictor.js'))})`
    const run = (debug: boolean) =>
      spawnNode(['-e', script, 'x', 'info', '--project', 'p.pictor', ...(debug ? ['--debug'] : [])], dataDir)
    const plain = run(false)
    expect(plain.status).toBe(1)
    expect(errorLines(plain.stderr)).toHaveLength(1)
    expect(errorLines(plain.stderr)[0]).toMatch(/^pictor info: /)
    expect(plain.stderr).not.toMatch(/^\s+at /m)
    expect(existsSync(gone)).toBe(false)
    const debug = run(true)
    expect(debug.status).toBe(1)
    expect(debug.stderr).toMatch(/^\s+at /m)
  })

  it('prints one line for a project in a folder it may not read', () => {
    const folder = join(tempDir(), 'locked')
    mkdirSync(folder)
    const dataDir = join(tempDir(), 'data')
    mkdirSync(dataDir)
    shareWithUnprivileged([tempDir()], [dataDir])
    chmodSync(folder, 0o000)
    try {
      const run = runPictor(['info', '--project', join(folder, 'p.pictor')], { dataDir, unprivileged: true })
      expect(run.status).toBe(1)
      expect(errorLines(run.stderr)).toHaveLength(1)
      expect(errorLines(run.stderr)[0]).toMatch(/^pictor info: IO_ERROR: .*permission denied/)
    } finally {
      chmodSync(folder, 0o755)
      rmdirSync(folder)
    }
  })
})

function spawnNode(args: string[], dataDir: string) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, PICTOR_DATA_DIR: dataDir }, timeout: 60_000 })
}
