import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { getRun, listRuns, setRunLogDir } from '../../../src-main/db/queries/training-runs'
import { useTempDir } from '../../helpers/temp-dir'

// Migration 013-run-log-dir: from v12 with runs, run exactly this migration and prove every existing
// row keeps its values with no log folder, the column stays STRICT and refuses an empty path, and a
// run's folder round-trips through the query module.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v12.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 12)).toBe(12)
  const run = db.prepare(`INSERT INTO training_runs (id, model_kind, status, settings, class_names, created_at) VALUES (?, ?, 'done', '{}', '["a","b"]', 1000)`)
  run.run(1, 'cnn')
  run.run(2, 'mobilenetv2')
})

afterEach(() => {
  db.close()
})

describe('migration 013-run-log-dir', () => {
  it('sets user_version to 13 and keeps every run as it was, with no log folder', () => {
    const before = db.prepare('SELECT * FROM training_runs ORDER BY id').all() as Record<string, unknown>[]
    expect(migrate(db, 13)).toBe(13)
    expect(schemaVersion(db)).toBe(13)
    expect(db.prepare('SELECT * FROM training_runs ORDER BY id').all()).toEqual(before.map((row) => ({ ...row, log_dir: null })))
    expect(listRuns(db).map((run) => run.logDir)).toEqual([null, null])
    expect(db.prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = 'training_runs'").pluck().get()).toBe(1)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it('keeps a run’s folder through the query module and refuses an empty or non-text path', () => {
    migrate(db, 13)
    setRunLogDir(db, 1, '/home/me/flowers.runs/run-1')
    expect(getRun(db, 1)?.logDir).toBe('/home/me/flowers.runs/run-1')
    expect(getRun(db, 2)?.logDir).toBeNull()
    expect(() => setRunLogDir(db, 2, '')).toThrow(/CHECK/)
    expect(() => db.prepare("UPDATE training_runs SET log_dir = x'00' WHERE id = 2").run()).toThrow(/cannot store BLOB value in TEXT column/)
  })
})
