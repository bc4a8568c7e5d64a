import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// Migration 011-run-onnx-models: from v10 with runs and a trained model, run exactly this migration and
// prove nothing that was there changes, the new table is STRICT and checks what it holds, and deleting
// a run deletes its imported model.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v10.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 10)).toBe(10)
})

afterEach(() => {
  db.close()
})

function seedV10(): void {
  const run = db.prepare(`INSERT INTO training_runs (id, model_kind, status, settings, class_names, created_at) VALUES (?, ?, 'done', '{}', '["a","b"]', 1000)`)
  run.run(1, 'cnn')
  run.run(2, 'onnx')
  db.prepare(`INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (1, '{}', '[]', x'00', 1000)`).run()
}

const insert = (runId: number, onnx: Buffer, metadata: string) =>
  db.prepare('INSERT INTO run_onnx_models (run_id, onnx, metadata, source, imported_at) VALUES (?, ?, ?, ?, ?)').run(runId, onnx, metadata, '/models/m.onnx', 2000)

describe('migration 011-run-onnx-models', () => {
  it('sets user_version to 11, keeps runs and models as they were, and adds an empty STRICT table', () => {
    seedV10()
    const before = { runs: db.prepare('SELECT * FROM training_runs').all(), models: db.prepare('SELECT * FROM run_models').all() }
    expect(migrate(db, 11)).toBe(11)
    expect(schemaVersion(db)).toBe(11)
    expect({ runs: db.prepare('SELECT * FROM training_runs').all(), models: db.prepare('SELECT * FROM run_models').all() }).toEqual(before)
    expect(db.prepare('SELECT count(*) FROM run_onnx_models').pluck().get()).toBe(0)
    expect(db.prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = 'run_onnx_models'").pluck().get()).toBe(1)
    expect(db.pragma('foreign_key_check')).toEqual([])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it('holds bytes and JSON metadata of an existing run only, and refuses empty bytes, bad JSON and wrong types', () => {
    seedV10()
    migrate(db, 11)
    insert(2, Buffer.from([8, 7]), '{"labels":["a","b"]}')
    expect(() => insert(99, Buffer.from([1]), '{}')).toThrow(/FOREIGN KEY/)
    expect(() => insert(1, Buffer.alloc(0), '{}')).toThrow(/CHECK/)
    expect(() => insert(1, Buffer.from([1]), 'not json')).toThrow(/CHECK/)
    expect(() => db.prepare("INSERT INTO run_onnx_models (run_id, onnx, metadata, source, imported_at) VALUES (1, x'01', '{}', 's', 'soon')").run()).toThrow(
      /cannot store TEXT value in INTEGER column/
    )
    expect(() => insert(2, Buffer.from([1]), '{}')).toThrow(/UNIQUE|PRIMARY KEY/)
  })

  it("deletes a run's imported model with the run", () => {
    seedV10()
    migrate(db, 11)
    insert(2, Buffer.from([8, 7]), '{}')
    db.prepare('DELETE FROM training_runs WHERE id = 2').run()
    expect(db.prepare('SELECT count(*) FROM run_onnx_models').pluck().get()).toBe(0)
    expect(db.prepare('SELECT count(*) FROM run_models').pluck().get()).toBe(1)
  })
})
