import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { ImportReport } from '../../../src-main/import/import-report'
import { createServices } from '../../../src-main/services/services'
import { writeManyJpegs } from '../../helpers/image-fixtures'
import { imageRows, importRunRows, runImport, setUpImport, withProjectDb, type ImportSetup } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// An import stopped midway — cancelled, or the process killed — leaves a project that opens, keeps
// every committed batch, says the last run did not finish, and completes on the next run.

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'bin', 'pictor.js')
const temp = useTempDir('pictor-resume-')

const countRows = (setup: ImportSetup, where = '1') =>
  withProjectDb(setup.projectPath, (db) => db.prepare(`SELECT count(*) FROM images WHERE ${where}`).pluck().get() as number)

describe('cancelling an import', () => {
  it('stops early, commits what it did, records the run as cancelled, and a re-run completes', async () => {
    const setup = setUpImport(temp())
    const names = await writeManyJpegs(join(setup.folder, 'cat'), 60)
    const controller = new AbortController()
    const cancelled = await runImport(setup, {
      concurrency: 2,
      signal: controller.signal,
      onProgress: (update) => {
        if (update.done >= 5) controller.abort()
      }
    })

    expect(cancelled.cancelled).toBe(true)
    const committed = countRows(setup)
    expect(committed).toBeGreaterThanOrEqual(5)
    expect(committed).toBeLessThan(names.length)
    expect(cancelled.imported).toBe(committed)
    expect(importRunRows(setup.projectPath).map((run) => run.status)).toEqual(['cancelled'])
    const run = importRunRows(setup.projectPath)[0]!
    expect(run.finished_at).not.toBeNull()
    expect(JSON.parse(run.report!)).toMatchObject({ cancelled: true, imported: committed })
    // A cancelled scan is not a finished scan.
    expect(withProjectDb(setup.projectPath, (db) => db.prepare('SELECT last_scan_at FROM sources').pluck().get())).toBeNull()

    const resumed = await runImport(setup)
    expect(resumed).toMatchObject({ cancelled: false, unchanged: committed, imported: names.length - committed })
    expect(countRows(setup, "status = 'ok'")).toBe(names.length)
    expect(importRunRows(setup.projectPath).map((r) => r.status)).toEqual(['cancelled', 'done'])
  })

  it('does not mark files missing when it was cancelled (it never saw the whole folder)', async () => {
    const setup = setUpImport(temp())
    const names = await writeManyJpegs(join(setup.folder, 'cat'), 20)
    await runImport(setup)
    for (const name of names.slice(0, 3)) unlinkSync(join(setup.folder, 'cat', name))
    await writeManyJpegs(join(setup.folder, 'dog'), 30)

    const controller = new AbortController()
    const report = await runImport(setup, {
      concurrency: 1,
      signal: controller.signal,
      onProgress: (update) => update.done >= 2 && controller.abort()
    })
    expect(report).toMatchObject({ cancelled: true, removed: 0 })
    expect(countRows(setup, "status = 'missing'")).toBe(0)

    const finished = await runImport(setup)
    expect(finished).toMatchObject({ cancelled: false, removed: 3 })
    expect(names.slice(0, 3).map((name) => imageRows(setup.projectPath).get(`cat/${name}`)?.status)).toEqual(['missing', 'missing', 'missing'])
    expect(countRows(setup, "status = 'ok'")).toBe(17 + 30)
  })

  it('an import cancelled before it starts rejects and writes nothing', async () => {
    const setup = setUpImport(temp())
    await writeManyJpegs(setup.folder, 3)
    const controller = new AbortController()
    controller.abort()
    await expect(runImport(setup, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(importRunRows(setup.projectPath)).toEqual([])
    expect(countRows(setup)).toBe(0)
  })
})

/** Images committed so far, read through a separate read-only connection (null while unreadable). */
function committedImages(projectPath: string): number | null {
  try {
    const db = new BetterSqlite3(projectPath, { readonly: true, fileMustExist: true })
    try {
      return db.prepare('SELECT count(*) FROM images').pluck().get() as number
    } finally {
      db.close()
    }
  } catch {
    return null
  }
}

const cliArgs = (setup: ImportSetup) => [BIN, 'import', setup.folder, '--project', setup.projectPath, '--json']

/** Starts the CLI import and SIGKILLs it once some, but not all, images are committed. */
async function killMidway(setup: ImportSetup, dataDir: string, total: number): Promise<number | 'finished'> {
  const child = spawn(process.execPath, cliArgs(setup), {
    cwd: ROOT,
    env: { ...process.env, PICTOR_DATA_DIR: dataDir },
    stdio: 'ignore'
  })
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exit.then(() => (exited = true))
  while (!exited) {
    const count = committedImages(setup.projectPath)
    if (count !== null && count > 0 && count < total) {
      child.kill('SIGKILL')
      await exit
      return count
    }
    await sleep(5)
  }
  return 'finished'
}

describe('killing an import', () => {
  it('kill -9 midway: the project opens intact, the run reads as interrupted, a re-run completes', async () => {
    // If the import is too quick to catch midway, try again with more files (never a weaker check).
    let attempt: { setup: ImportSetup; dataDir: string; total: number; seen: number } | undefined
    for (const total of [1500, 4000, 8000]) {
      const dir = join(temp(), `attempt-${total}`)
      mkdirSync(dir)
      const setup = setUpImport(dir)
      const dataDir = join(dir, 'data')
      await writeManyJpegs(setup.folder, total)
      const seen = await killMidway(setup, dataDir, total)
      if (seen !== 'finished') {
        attempt = { setup, dataDir, total, seen }
        break
      }
    }
    if (!attempt) throw new Error('the import always finished before it could be killed, even with 8000 files')
    const { setup, dataDir, total, seen } = attempt

    const afterKill = withProjectDb(setup.projectPath, (db) => ({
      integrity: db.pragma('integrity_check', { simple: true }),
      images: db.prepare('SELECT count(*) FROM images').pluck().get() as number,
      runs: db.prepare('SELECT status, finished_at AS finishedAt FROM import_runs ORDER BY id').all()
    }))
    expect(afterKill.integrity).toBe('ok')
    expect(afterKill.images).toBeGreaterThanOrEqual(seen)
    expect(afterKill.images).toBeLessThan(total)
    expect(afterKill.runs).toEqual([{ status: 'running', finishedAt: null }])

    const services = createServices({ dataDir, transport: 'cli' })
    try {
      expect(await services.call('project.open', { path: setup.projectPath })).toMatchObject({ ok: true })
      const lastRun = await services.call('import.lastRun', {})
      expect(lastRun).toMatchObject({ ok: true, value: { status: 'interrupted', folder: setup.folder, finishedAt: null, report: null } })
    } finally {
      services.close()
    }

    const rerun = spawnSync(process.execPath, cliArgs(setup), {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PICTOR_DATA_DIR: dataDir },
      timeout: 120_000
    })
    expect(rerun.status, rerun.stderr).toBe(0)
    const report = JSON.parse(rerun.stdout) as ImportReport
    expect(report).toMatchObject({ cancelled: false, failed: 0, unchanged: afterKill.images, imported: total - afterKill.images })
    const final = withProjectDb(setup.projectPath, (db) => ({
      images: db.prepare("SELECT count(*) FROM images WHERE status = 'ok'").pluck().get(),
      paths: db.prepare('SELECT count(DISTINCT rel_path) FROM images').pluck().get(),
      runs: db.prepare('SELECT status FROM import_runs ORDER BY id').pluck().all()
    }))
    expect(final).toEqual({ images: total, paths: total, runs: ['running', 'done'] })
  }, 300_000)
})
