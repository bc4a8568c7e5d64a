import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// Migration 009-review-run: from v8 with a project row and runs, run exactly this migration and prove
// the project row is kept as it was, nothing is remembered yet, and the new column holds only a run
// that exists and lets go of it when that run is deleted.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v8.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 8)).toBe(8)
})

afterEach(() => {
  db.close()
})

function seedV8(): void {
  db.prepare(`INSERT INTO project (id, name, created_at, settings) VALUES (1, 'Flowers', 1000, '{"splitRatios":{"train":0.8,"val":0.1,"test":0.1}}')`).run()
  const run = db.prepare(
    `INSERT INTO training_runs (id, model_kind, status, settings, class_names, created_at) VALUES (?, 'cnn', 'done', '{}', '["a"]', 1000)`
  )
  run.run(1)
  run.run(2)
}

describe('migration 009-review-run', () => {
  it('sets user_version to 9, keeps the project row, and remembers no run yet', () => {
    seedV8()
    const before = db.prepare('SELECT * FROM project').get()
    expect(migrate(db, 9)).toBe(9)
    expect(schemaVersion(db)).toBe(9)
    expect(db.prepare('SELECT id, name, created_at, settings FROM project').get()).toEqual(before)
    expect(db.prepare('SELECT review_run_id FROM project').pluck().get()).toBeNull()
    expect(db.prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = 'project'").pluck().get()).toBe(1)
    expect(db.pragma('foreign_key_check')).toEqual([])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it('holds only an existing run, as an integer, and lets go of it when the run is deleted', () => {
    seedV8()
    migrate(db, 9)
    db.prepare('UPDATE project SET review_run_id = 2').run()
    expect(() => db.prepare('UPDATE project SET review_run_id = 99').run()).toThrow(/FOREIGN KEY/)
    expect(() => db.prepare("UPDATE project SET review_run_id = 'two'").run()).toThrow(/cannot store TEXT value in INTEGER column/)
    db.prepare('DELETE FROM training_runs WHERE id = 1').run()
    expect(db.prepare('SELECT review_run_id FROM project').pluck().get()).toBe(2)
    db.prepare('DELETE FROM training_runs WHERE id = 2').run()
    expect(db.prepare('SELECT review_run_id FROM project').pluck().get()).toBeNull()
    expect(db.prepare('SELECT name FROM project').pluck().get()).toBe('Flowers')
  })
})
