import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Envelope } from '../../../src-main/contract/envelope'
import { createServices, type Services } from '../../../src-main/services/services'
import { runPictor } from '../../helpers/pictor-process'
import { useTempDir } from '../../helpers/temp-dir'

// Issue 13, defect 2: paths through the contract resolved against the server's working directory
// (`project.create {"path":"x"}` made x.pictor wherever the app was started; "/dev/null" made
// /dev/null.pictor). The contract takes only absolute paths, never under /dev, /proc or /sys, never a
// device; the CLI resolves what the user typed against the shell's folder first.

const tempDir = useTempDir()
const opened: Services[] = []
const startedIn = process.cwd()

afterEach(() => {
  process.chdir(startedIn)
  for (const services of opened.splice(0)) services.close()
})

function services(env: { projectsDir?: string } = {}): Services {
  if (env.projectsDir) process.env.PICTOR_PROJECTS_DIR = env.projectsDir
  else delete process.env.PICTOR_PROJECTS_DIR
  const made = createServices({ dataDir: join(tempDir(), 'data'), transport: 'browser' })
  opened.push(made)
  return made
}

function errorOf(envelope: Envelope<unknown>): { code: string; message: string } {
  if (envelope.ok) throw new Error(`expected a failed envelope, got ${JSON.stringify(envelope)}`)
  return envelope.error
}

/** Every path field of every method, with a request that is valid apart from that path. */
const PATH_FIELDS: [method: string, request: (path: string) => object][] = [
  ['project.create', (path) => ({ path })],
  ['project.open', (path) => ({ path })],
  ['project.forgetRecent', (path) => ({ path })],
  ['import.start', (folder) => ({ folder })],
  ['models.import', (path) => ({ path })],
  ['export.run', (dir) => ({ dir })],
  ['dataset.export', (dir) => ({ dir, format: 'keras' })],
  ['backups.list', (path) => ({ path })],
  ['backups.restore', (path) => ({ path })]
]

describe('paths through the contract', () => {
  it('refuses a relative project path instead of creating it in the server’s working folder', async () => {
    const app = services()
    process.chdir(tempDir())
    const error = errorOf(await app.dispatch('project.create', { path: 'x' }))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(error.message).toMatch(/path: .*absolute/)
    expect(readdirSync(tempDir()).filter((name) => name.includes('.pictor'))).toEqual([])
  })

  it('refuses every path field given a relative path, naming the field', async () => {
    const app = services()
    expect((await app.dispatch('project.create', { path: join(tempDir(), 'open.pictor') })).ok).toBe(true)
    process.chdir(tempDir())
    for (const [method, request] of PATH_FIELDS) {
      // A Windows path is as relative as any other name on Linux, and the reverse.
      const foreign = process.platform === 'win32' ? [] : ['C:\\x.pictor', 'c:/x', '\\\\server\\share\\x.pictor']
      for (const relative of ['x', './x', '../x', 'a/b.pictor', '~/x', ...foreign]) {
        const error = errorOf(await app.dispatch(method, request(relative)))
        expect(error.code, `${method} ${relative}`).toBe('INVALID_REQUEST')
        expect(error.message, `${method} ${relative}`).toMatch(/absolute/)
      }
    }
    expect(existsSync(join(tempDir(), 'x'))).toBe(false)
  })

  it('refuses /dev, /proc and /sys, and a device, even behind a symbolic link', async () => {
    const createdDevNull = !existsSync('/dev/null.pictor')
    const app = services()
    try {
      expect((await app.dispatch('project.create', { path: join(tempDir(), 'open.pictor') })).ok).toBe(true)
      const toDev = join(tempDir(), 'to-dev')
      symlinkSync('/dev', toDev)
      const toProc = join(tempDir(), 'to-proc')
      symlinkSync('/proc/self', toProc)
      const fifo = join(tempDir(), 'pipe')
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
      const refused = ['/dev/null', '/dev/null.pictor', '/dev/shm/x.pictor', '/proc/self/environ', '/sys/kernel', join(toDev, 'null'), join(toDev, 'x.pictor'), toProc, fifo]
      for (const [method, request] of PATH_FIELDS) {
        for (const path of refused) {
          const error = errorOf(await app.dispatch(method, request(path)))
          expect(error.code, `${method} ${path}`).toBe('INVALID_REQUEST')
        }
      }
      expect(existsSync('/dev/null.pictor')).toBe(false)
      expect(existsSync('/dev/shm/x.pictor')).toBe(false)
    } finally {
      if (createdDevNull) rmSync('/dev/null.pictor', { force: true })
    }
  })

  it('refuses a relative export folder instead of writing into the server’s working folder', async () => {
    const app = services()
    expect((await app.dispatch('project.create', { path: join(tempDir(), 'p.pictor') })).ok).toBe(true)
    process.chdir(tempDir())
    const error = errorOf(await app.dispatch('export.run', { dir: 'x' }))
    expect(error.code).toBe('INVALID_REQUEST')
    expect(existsSync(join(tempDir(), 'x'))).toBe(false)
  })

  it('offers a default project folder, created when the first project goes there', async () => {
    const projectsDir = join(tempDir(), 'home', 'Pictor')
    const app = services({ projectsDir })
    const info = await app.call('app.info', {})
    expect(info.ok && info.value.defaultProjectFolder).toBe(projectsDir)
    expect(existsSync(projectsDir)).toBe(false)
    const created = await app.call('project.create', { path: join(projectsDir, 'flowers.pictor') })
    expect(created.ok && created.value.path).toBe(join(projectsDir, 'flowers.pictor'))
    expect(existsSync(join(projectsDir, 'flowers.pictor'))).toBe(true)
    // Only the default folder is made on demand: elsewhere a missing folder is still an error.
    const elsewhere = errorOf(await app.dispatch('project.create', { path: join(tempDir(), 'nowhere', 'x.pictor') }))
    expect(elsewhere.code).toBe('NOT_FOUND')
    delete process.env.PICTOR_PROJECTS_DIR
  })
})

describe('paths on the command line', () => {
  it('resolves relative paths against the shell’s folder in every command', () => {
    const shell = join(tempDir(), 'shell')
    const photos = join(shell, 'photos', 'cats')
    mkdirSync(photos, { recursive: true })
    const dataDir = join(tempDir(), 'data')
    const created = runPictor(['create', 'rel', '--json'], { dataDir, cwd: shell })
    expect(created.status, created.stderr).toBe(0)
    expect(JSON.parse(created.stdout).path).toBe(join(shell, 'rel.pictor'))

    const info = runPictor(['info', '--project', 'rel.pictor', '--json'], { dataDir, cwd: shell })
    expect(info.status, info.stderr).toBe(0)
    expect(JSON.parse(info.stdout).project.path).toBe(join(shell, 'rel.pictor'))

    const imported = runPictor(['import', 'photos', '--project', './rel.pictor', '--json'], { dataDir, cwd: shell })
    expect(imported.status, imported.stderr).toBe(0)
    expect(JSON.parse(imported.stdout).folder).toBe(join(shell, 'photos'))

    // No run to export yet: the answer is about that, not about the relative --out folder.
    const exported = runPictor(['export', '--project', 'rel.pictor', '--out', 'out'], { dataDir, cwd: shell })
    expect(exported.status).toBe(1)
    expect(exported.stderr).not.toMatch(/absolute/)
    for (const command of [['eval'], ['issues'], ['train', '--epochs', '1']]) {
      const run = runPictor([...command, '--project', 'rel.pictor'], { dataDir, cwd: shell })
      expect(run.stderr, command[0]).not.toContain('absolute')
    }
  })
})
