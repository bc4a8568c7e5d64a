import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// One test file per migration: start from the schema before it (v1 with a source row), run exactly
// this migration, and prove the table and constraints it promises are really there.

const tempDir = useTempDir()
let db: Database
let sourceId: number

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v1.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 1)).toBe(1)
  sourceId = Number(db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/photos', 1000)").run().lastInsertRowid)
  expect(migrate(db, 2)).toBe(2)
})

afterEach(() => {
  db.close()
})

const insertRun = (status: string, finishedAt: number | null, report: string | null = null, source = sourceId) =>
  db
    .prepare('INSERT INTO import_runs (source_id, status, started_at, finished_at, report) VALUES (?, ?, 1000, ?, ?)')
    .run(source, status, finishedAt, report)

const count = (table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number

describe('migration 002-import-runs', () => {
  it('sets user_version to 2 and keeps the v1 rows', () => {
    expect(schemaVersion(db)).toBe(2)
    expect(db.prepare('SELECT root_path FROM sources').pluck().all()).toEqual(['/photos'])
  })

  it('creates import_runs as a STRICT table with its status index', () => {
    const table = db.prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = 'import_runs'").get()
    expect(table).toEqual({ strict: 1 })
    const columns = db.prepare("SELECT name, type, \"notnull\" FROM pragma_table_info('import_runs') ORDER BY cid").all()
    expect(columns).toEqual([
      { name: 'id', type: 'INTEGER', notnull: 0 },
      { name: 'source_id', type: 'INTEGER', notnull: 1 },
      { name: 'status', type: 'TEXT', notnull: 1 },
      { name: 'started_at', type: 'INTEGER', notnull: 1 },
      { name: 'finished_at', type: 'INTEGER', notnull: 0 },
      { name: 'report', type: 'TEXT', notnull: 0 }
    ])
    expect(db.prepare("SELECT tbl_name FROM sqlite_schema WHERE type = 'index' AND name = 'import_runs_by_status'").pluck().get()).toBe(
      'import_runs'
    )
    expect(() => db.prepare("INSERT INTO import_runs (source_id, status, started_at) VALUES (?, 'running', 'noon')").run(sourceId)).toThrow(
      /cannot store TEXT value in INTEGER column/
    )
  })

  it('accepts exactly the four statuses', () => {
    insertRun('running', null)
    insertRun('done', 2000, '{"imported":3}')
    insertRun('failed', 2000)
    insertRun('cancelled', 2000)
    expect(count('import_runs')).toBe(4)
    for (const status of ['interrupted', 'DONE', '']) {
      expect(() => insertRun(status, 2000), status).toThrow(/CHECK constraint failed/)
    }
  })

  it('has finished_at null exactly while the run is running', () => {
    expect(() => insertRun('running', 2000)).toThrow(/CHECK constraint failed/)
    expect(() => insertRun('done', null)).toThrow(/CHECK constraint failed/)
    expect(() => insertRun('cancelled', null)).toThrow(/CHECK constraint failed/)
    const id = insertRun('running', null).lastInsertRowid
    expect(() => db.prepare("UPDATE import_runs SET status = 'done' WHERE id = ?").run(id)).toThrow(/CHECK constraint failed/)
    db.prepare("UPDATE import_runs SET status = 'done', finished_at = 3000 WHERE id = ?").run(id)
    expect(db.prepare('SELECT status, finished_at AS finishedAt FROM import_runs').get()).toEqual({ status: 'done', finishedAt: 3000 })
  })

  it('accepts only JSON (or nothing) as the report', () => {
    insertRun('done', 2000, null)
    insertRun('done', 2000, '{"errors":[]}')
    expect(() => insertRun('done', 2000, '{not json')).toThrow(/CHECK constraint failed/)
  })

  it('needs an existing source and goes away with it', () => {
    expect(() => insertRun('running', null, null, sourceId + 100)).toThrow(/FOREIGN KEY constraint failed/)
    const other = Number(db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/other', 1000)").run().lastInsertRowid)
    insertRun('done', 2000)
    insertRun('cancelled', 2000)
    insertRun('running', null, null, other)
    db.prepare('DELETE FROM sources WHERE id = ?').run(sourceId)
    expect(db.prepare('SELECT source_id FROM import_runs').pluck().all()).toEqual([other])
  })
})
