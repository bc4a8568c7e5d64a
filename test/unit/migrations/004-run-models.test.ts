import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// One test file per migration: start from the schema before it (v3 with a training run and its
// epochs), run exactly this migration, and prove the tables and constraints it promises are there.

const tempDir = useTempDir()
let db: Database
let runId: number

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v3.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 3)).toBe(3)
  runId = insertTrainingRun()
  db.prepare(`INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (?, 0, '{"loss":0.7}'), (?, 1, '{"loss":0.4}')`).run(runId, runId)
  expect(migrate(db, 4)).toBe(4)
})

afterEach(() => {
  db.close()
})

function insertTrainingRun(): number {
  return Number(
    db
      .prepare(
        `INSERT INTO training_runs (model_kind, status, settings, backend, class_names, created_at)
         VALUES ('cnn', 'cancelled', '{"epochs":4}', 'wasm', '["cat","dog"]', 1000)`
      )
      .run().lastInsertRowid
  )
}

const blob = Buffer.from([1, 2, 3, 4])
const insertModel = (run: number, topology = '{"class_name":"Sequential"}', specs = '[]') =>
  db.prepare('INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (?, ?, ?, ?, 2000)').run(run, topology, specs, blob)
const insertCheckpoint = (run: number, fields: Partial<{ epoch: unknown; specs: string; optimizerSpecs: string; state: string; weights: unknown }> = {}) =>
  db
    .prepare(
      `INSERT INTO run_checkpoints (run_id, epoch, weight_specs, weights, optimizer_specs, optimizer_weights, state, saved_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 2000)`
    )
    .run(run, fields.epoch ?? 1, fields.specs ?? '[]', fields.weights ?? blob, fields.optimizerSpecs ?? '[]', blob, fields.state ?? '{}')

const count = (table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number
const columns = (table: string) => db.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info('${table}') ORDER BY cid`).all()

describe('migration 004-run-models', () => {
  it('sets user_version to 4 and keeps the run and its epochs', () => {
    expect(schemaVersion(db)).toBe(4)
    expect(db.prepare('SELECT id, status, class_names AS classNames FROM training_runs').all()).toEqual([
      { id: runId, status: 'cancelled', classNames: '["cat","dog"]' }
    ])
    expect(db.prepare('SELECT epoch FROM run_epochs ORDER BY epoch').pluck().all()).toEqual([0, 1])
  })

  it('creates run_models and run_checkpoints as STRICT tables keyed by the run', () => {
    const strict = db
      .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name IN ('run_models', 'run_checkpoints') ORDER BY name")
      .all()
    expect(strict).toEqual([
      { name: 'run_checkpoints', strict: 1 },
      { name: 'run_models', strict: 1 }
    ])
    expect(columns('run_models')).toEqual([
      { name: 'run_id', type: 'INTEGER', notnull: 0, pk: 1 },
      { name: 'topology', type: 'TEXT', notnull: 1, pk: 0 },
      { name: 'weight_specs', type: 'TEXT', notnull: 1, pk: 0 },
      { name: 'weights', type: 'BLOB', notnull: 1, pk: 0 },
      { name: 'saved_at', type: 'INTEGER', notnull: 1, pk: 0 }
    ])
    expect(columns('run_checkpoints')).toEqual([
      { name: 'run_id', type: 'INTEGER', notnull: 0, pk: 1 },
      { name: 'epoch', type: 'INTEGER', notnull: 1, pk: 0 },
      { name: 'weight_specs', type: 'TEXT', notnull: 1, pk: 0 },
      { name: 'weights', type: 'BLOB', notnull: 1, pk: 0 },
      { name: 'optimizer_specs', type: 'TEXT', notnull: 1, pk: 0 },
      { name: 'optimizer_weights', type: 'BLOB', notnull: 1, pk: 0 },
      { name: 'state', type: 'TEXT', notnull: 1, pk: 0 },
      { name: 'saved_at', type: 'INTEGER', notnull: 1, pk: 0 }
    ])
    for (const table of ['run_models', 'run_checkpoints']) {
      expect(db.prepare(`SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list('${table}')`).all()).toEqual([
        { table: 'training_runs', from: 'run_id', to: 'id', on_delete: 'CASCADE' }
      ])
    }
    // STRICT: a string is not a blob, a word is not an epoch.
    expect(() => insertCheckpoint(runId, { weights: 'not bytes' })).toThrow(/cannot store TEXT value in BLOB column/)
    expect(() => insertCheckpoint(runId, { epoch: 'one' })).toThrow(/cannot store TEXT value in INTEGER column/)
  })

  it('keeps one model and one checkpoint per run, for existing runs only', () => {
    insertModel(runId)
    insertCheckpoint(runId)
    expect(() => insertModel(runId)).toThrow(/UNIQUE constraint failed|PRIMARY KEY/)
    expect(() => insertCheckpoint(runId)).toThrow(/UNIQUE constraint failed|PRIMARY KEY/)
    expect(() => insertModel(404)).toThrow(/FOREIGN KEY constraint failed/)
    expect(() => insertCheckpoint(404)).toThrow(/FOREIGN KEY constraint failed/)
    expect(db.prepare('SELECT weights FROM run_models').pluck().get()).toEqual(blob)
  })

  it('accepts only JSON in topology, specs and state, and no negative epoch', () => {
    const other = insertTrainingRun()
    expect(() => insertModel(other, '{not json')).toThrow(/CHECK constraint failed/)
    expect(() => insertModel(other, '{}', 'weights')).toThrow(/CHECK constraint failed/)
    expect(() => insertCheckpoint(other, { specs: '[' })).toThrow(/CHECK constraint failed/)
    expect(() => insertCheckpoint(other, { optimizerSpecs: 'iter' })).toThrow(/CHECK constraint failed/)
    expect(() => insertCheckpoint(other, { state: '' })).toThrow(/CHECK constraint failed/)
    expect(() => insertCheckpoint(other, { epoch: -1 })).toThrow(/CHECK constraint failed/)
    insertModel(other, '{"modelTopology":{}}', '[{"name":"0:kernel","shape":[3,3,3,32],"dtype":"float32"}]')
    insertCheckpoint(other, { epoch: 0, state: 'null' })
    expect([count('run_models'), count('run_checkpoints')]).toEqual([1, 1])
  })

  it('deletes a run’s model, checkpoint and epochs with the run', () => {
    const other = insertTrainingRun()
    insertModel(runId)
    insertCheckpoint(runId)
    insertModel(other)
    insertCheckpoint(other)
    db.prepare('DELETE FROM training_runs WHERE id = ?').run(runId)
    expect(db.prepare('SELECT run_id FROM run_models').pluck().all()).toEqual([other])
    expect(db.prepare('SELECT run_id FROM run_checkpoints').pluck().all()).toEqual([other])
    expect(count('run_epochs')).toBe(0)
    expect(db.pragma('foreign_key_check')).toEqual([])
  })
})
