import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { deleteDriftReference, loadDriftReference, saveDriftReference } from '../../../src-main/db/queries/drift-references'
import { useTempDir } from '../../helpers/temp-dir'

// Migration 012-drift-references: from v11 with runs, run exactly this migration and prove nothing
// that was there changes, the new table is STRICT and checks what it holds, a reference round-trips
// through the query module, and deleting a run deletes its reference.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v11.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 11)).toBe(11)
})

afterEach(() => {
  db.close()
})

function seedV11(): void {
  const run = db.prepare(`INSERT INTO training_runs (id, model_kind, status, settings, class_names, created_at) VALUES (?, ?, 'done', '{}', '["a","b"]', 1000)`)
  run.run(1, 'cnn')
  run.run(2, 'onnx')
  db.prepare(`INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (1, '{}', '[]', x'00', 1000)`).run()
}

const insert = (runId: number, reference: string, images: unknown = 10, createdAt: unknown = 2000) =>
  db.prepare('INSERT INTO drift_references (run_id, reference, images, created_at) VALUES (?, ?, ?, ?)').run(runId, reference, images, createdAt)

describe('migration 012-drift-references', () => {
  it('sets user_version to 12, keeps runs and models as they were, and adds an empty STRICT table', () => {
    seedV11()
    const before = { runs: db.prepare('SELECT * FROM training_runs').all(), models: db.prepare('SELECT * FROM run_models').all() }
    expect(migrate(db, 12)).toBe(12)
    expect(schemaVersion(db)).toBe(12)
    expect({ runs: db.prepare('SELECT * FROM training_runs').all(), models: db.prepare('SELECT * FROM run_models').all() }).toEqual(before)
    expect(db.prepare('SELECT count(*) FROM drift_references').pluck().get()).toBe(0)
    expect(db.prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = 'drift_references'").pluck().get()).toBe(1)
    expect(db.pragma('foreign_key_check')).toEqual([])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it('holds JSON of an existing run only, and refuses bad JSON, negative counts and wrong types', () => {
    seedV11()
    migrate(db, 12)
    insert(1, '{"version":1}')
    expect(() => insert(99, '{}')).toThrow(/FOREIGN KEY/)
    expect(() => insert(2, 'not json')).toThrow(/CHECK/)
    expect(() => insert(2, '{}', -1)).toThrow(/CHECK/)
    expect(() => insert(2, '{}', 10, 'soon')).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(() => insert(1, '{}')).toThrow(/UNIQUE|PRIMARY KEY/)
  })

  it('round-trips through the query module, replaces on save, and goes with its run', () => {
    seedV11()
    migrate(db, 12)
    expect(loadDriftReference(db, 1)).toBeUndefined()
    saveDriftReference(db, 1, { version: 1, labels: ['a'] }, 7, 3000)
    expect(loadDriftReference(db, 1)).toEqual({ reference: { version: 1, labels: ['a'] }, images: 7, createdAt: 3000 })
    saveDriftReference(db, 1, { version: 1, labels: ['b'] }, 8, 4000)
    expect(loadDriftReference(db, 1)).toEqual({ reference: { version: 1, labels: ['b'] }, images: 8, createdAt: 4000 })
    saveDriftReference(db, 2, { version: 1 }, 1, 5000)
    db.prepare('DELETE FROM training_runs WHERE id = 1').run()
    expect(loadDriftReference(db, 1)).toBeUndefined()
    expect(deleteDriftReference(db, 2)).toBe(true)
    expect(deleteDriftReference(db, 2)).toBe(false)
  })
})
