import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { loadCheckpoint, loadRunModel } from '../../../src-main/db/queries/run-models'
import { useTempDir } from '../../helpers/temp-dir'

// Migration 007-weight-chunks: from v6 with a trained run (inline model) and a resumable one (inline
// checkpoint), run exactly this migration and prove the old rows read as before and the new tables
// hold what they promise.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v6.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 6)).toBe(6)
})

afterEach(() => {
  db.close()
})

const weights = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])

function seedV6(): void {
  const run = db.prepare(
    `INSERT INTO training_runs (id, model_kind, status, settings, backend, class_names, created_at)
     VALUES (?, 'cnn', ?, '{}', 'wasm', '["cat","dog"]', 1000)`
  )
  run.run(21, 'done')
  run.run(22, 'cancelled')
  db.prepare("INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (21, '{\"a\":1}', '[]', ?, 2000)").run(weights)
  db.prepare(
    `INSERT INTO run_checkpoints (run_id, epoch, weight_specs, weights, optimizer_specs, optimizer_weights, state, saved_at)
     VALUES (22, 3, '[]', ?, '[]', ?, '{"wait":1}', 2000)`
  ).run(weights, Buffer.from([9, 9]))
}

describe('migration 007-weight-chunks', () => {
  it('sets user_version to 7 and reads the v6 inline weights unchanged', () => {
    seedV6()
    expect(migrate(db, 7)).toBe(7)
    expect(schemaVersion(db)).toBe(7)
    expect(loadRunModel(db, 21)).toEqual({ topology: { a: 1 }, weightSpecs: [], weights: new Uint8Array(weights) })
    expect(loadCheckpoint(db, 22)).toEqual({
      epoch: 3,
      model: { weightSpecs: [], weights: new Uint8Array(weights) },
      optimizer: { weightSpecs: [], weights: new Uint8Array([9, 9]) },
      state: { wait: 1 }
    })
    expect(db.prepare('SELECT weights_blob FROM run_models').pluck().all()).toEqual([null])
  })

  it('creates STRICT chunk tables whose rows go with their run', () => {
    seedV6()
    migrate(db, 7)
    const strict = db
      .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name IN ('weight_blobs', 'weight_chunks') ORDER BY name")
      .all()
    expect(strict).toEqual([
      { name: 'weight_blobs', strict: 1 },
      { name: 'weight_chunks', strict: 1 }
    ])
    db.prepare('INSERT INTO weight_blobs (id, run_id, byte_length, created_at) VALUES (5, 22, 4, 3000)').run()
    db.prepare('INSERT INTO weight_chunks (blob_id, position, bytes) VALUES (5, 0, ?)').run(Buffer.from([1, 2, 3, 4]))
    expect(() => db.prepare('INSERT INTO weight_blobs (run_id, byte_length, created_at) VALUES (99, 1, 1)').run()).toThrow(/FOREIGN KEY/)
    expect(() => db.prepare("INSERT INTO weight_chunks (blob_id, position, bytes) VALUES (5, 0, x'00')").run()).toThrow(/UNIQUE/)
    db.prepare('UPDATE run_checkpoints SET weights_blob = 5 WHERE run_id = 22').run()
    db.prepare('DELETE FROM training_runs WHERE id = 22').run()
    expect(db.prepare('SELECT count(*) FROM weight_blobs').pluck().get()).toBe(0)
    expect(db.prepare('SELECT count(*) FROM weight_chunks').pluck().get()).toBe(0)
    expect(db.pragma('foreign_key_check')).toEqual([])
  })
})
