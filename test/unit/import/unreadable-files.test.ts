import { spawnSync } from 'node:child_process'
import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, type TestContext } from 'vitest'
import type { ImportReport } from '../../../src-main/import/import-report'
import { writeImage } from '../../helpers/image-fixtures'
import { imageRows, runImport, setUpImport, type ImportSetup } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// Files and folders the importing user may not read. Root reads everything whatever the mode, so
// as root the import runs as `nobody` through the real CLI (the built out/main/cli.js: bin/pictor.js
// only adds a freshness check whose rebuild `nobody` could not write anyway).

const ROOT = join(import.meta.dirname, '..', '..', '..')
const CLI = join(ROOT, 'out', 'main', 'cli.js')
const IS_ROOT = process.getuid?.() === 0
const temp = useTempDir('pictor-unreadable-')

// Modes are put back before the temp folder is removed (a non-root user could not delete it).
const restore: (() => void)[] = []
afterEach(() => {
  for (const undo of restore.splice(0).reverse()) undo()
})

function lock(path: string): void {
  chmodSync(path, 0o000)
  restore.push(() => chmodSync(path, 0o755))
}

/** A folder with one readable image, one unreadable image and one unreadable sub-folder. */
async function unreadableFolder(): Promise<ImportSetup> {
  const dir = temp()
  // `nobody` must be able to enter the temp folder and create the project's -wal/-shm and data files.
  chmodSync(dir, 0o777)
  const setup = setUpImport(dir)
  chmodSync(setup.projectPath, 0o666)
  await writeImage(setup.folder, 'ok.jpg', 'jpeg', { seed: 1 })
  lock(await writeImage(setup.folder, 'secret.jpg', 'jpeg', { seed: 2 }))
  await writeImage(setup.folder, 'locked/inside.jpg', 'jpeg', { seed: 3 })
  lock(join(setup.folder, 'locked'))
  return setup
}

/** Skips (visibly) when this machine cannot run a command as `nobody`. */
function requireNobody(context: TestContext): void {
  const probe = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)})`], {
    encoding: 'utf8',
    timeout: 20_000
  })
  if (probe.error || probe.status !== 0) {
    context.skip(`tests run as root and cannot run the CLI as nobody: ${probe.error?.message ?? probe.stderr.trim()}`)
  }
}

/** Imports as a user to whom mode 000 means something. */
async function importUnprivileged(setup: ImportSetup): Promise<ImportReport> {
  if (!IS_ROOT) return runImport(setup)
  const result = spawnSync(
    'runuser',
    ['-u', 'nobody', '--', process.execPath, CLI, 'import', setup.folder, '--project', setup.projectPath, '--json'],
    { encoding: 'utf8', env: { ...process.env, PICTOR_DATA_DIR: join(setup.folder, '..', 'data') }, timeout: 60_000 }
  )
  expect(result.status, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as ImportReport
}

describe('unreadable files', () => {
  it('records an unreadable file and an unreadable folder as UNREADABLE and imports the rest', async (context) => {
    if (IS_ROOT) requireNobody(context)
    const setup = await unreadableFolder()
    const report = await importUnprivileged(setup)

    expect(report.imported).toBe(1)
    // File errors come first, then what the walk found (the folder).
    expect(report.errors).toEqual([
      { path: 'secret.jpg', code: 'UNREADABLE', message: 'permission denied' },
      { path: 'locked', code: 'UNREADABLE', message: expect.stringContaining('cannot read this folder') }
    ])
    const rows = imageRows(setup.projectPath)
    expect(rows.get('ok.jpg')).toMatchObject({ status: 'ok' })
    expect(rows.get('secret.jpg')).toMatchObject({ status: 'failed', error_code: 'UNREADABLE' })
    expect(rows.get('locked')).toMatchObject({ status: 'failed', error_code: 'UNREADABLE' })
    expect(rows.has('locked/inside.jpg')).toBe(false)
  })

  it('once the folder is readable again, a rescan imports what was inside it', async (context) => {
    if (IS_ROOT) requireNobody(context)
    const setup = await unreadableFolder()
    await importUnprivileged(setup)
    chmodSync(join(setup.folder, 'locked'), 0o755)
    const rescan = await importUnprivileged(setup)
    expect(rescan.imported).toBe(1)
    expect(imageRows(setup.projectPath).get('locked/inside.jpg')).toMatchObject({ status: 'ok', folder_class: 'locked' })
  })

  // Regression test for a fixed bug (import-folder.ts): a rescan skips every row whose size and mtime match, failed rows too.
  // chmod changes neither, so a file that failed as UNREADABLE stays failed (and is counted
  // "unchanged") after the user fixes its permissions, until its content or mtime changes.
  it('once a file is readable again, a rescan imports it', async (context) => {
    if (IS_ROOT) requireNobody(context)
    const setup = await unreadableFolder()
    await importUnprivileged(setup)
    chmodSync(join(setup.folder, 'secret.jpg'), 0o644)
    await importUnprivileged(setup)
    expect(imageRows(setup.projectPath).get('secret.jpg')).toMatchObject({ status: 'ok', error_code: null })
  })
})
