import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// Migration 008-run-leases: from v7 with runs in every status and the rows that point at them
// (epochs, a model, a checkpoint, weight chunks, predictions), run exactly this migration and prove
// every row and key survived the table rebuild, and that 'interrupted' and the lease columns hold
// what they promise.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v7.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 7)).toBe(7)
})

afterEach(() => {
  db.close()
})

const weights = Buffer.from([1, 2, 3, 4])

function seedV7(): void {
  const run = db.prepare(
    `INSERT INTO training_runs (id, model_kind, status, settings, backend, class_names, created_at, started_at, finished_at, error, summary, class_ids)
     VALUES (?, 'cnn', ?, '{"epochs":3}', 'wasm', '["cat","dog"]', 1000, 1001, ?, ?, ?, '[5,7]')`
  )
  run.run(21, 'done', 2000, null, '{"epochsRun":3}')
  run.run(22, 'running', null, null, null)
  run.run(23, 'cancelled', 1500, 'training was cancelled', null)
  db.prepare("INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (21, 0, '{}'), (21, 1, '{}'), (22, 0, '{}')").run()
  db.prepare("INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (21, '{}', '[]', ?, 2000)").run(weights)
  db.prepare("INSERT INTO weight_blobs (id, run_id, byte_length, created_at) VALUES (4, 22, 4, 1500)").run()
  db.prepare('INSERT INTO weight_chunks (blob_id, position, bytes) VALUES (4, 0, ?)').run(weights)
  db.prepare(
    `INSERT INTO run_checkpoints (run_id, epoch, weight_specs, weights, optimizer_specs, optimizer_weights, state, saved_at, weights_blob)
     VALUES (22, 0, '[]', x'', '[]', x'', '{}', 1500, 4)`
  ).run()
}

const TABLES = ['run_epochs', 'run_models', 'run_checkpoints', 'weight_blobs', 'weight_chunks']
const snapshot = () => Object.fromEntries(TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table}`).all()]))
const RUN_COLUMNS = 'id, model_kind, status, settings, backend, class_names, created_at, started_at, finished_at, error, summary, class_ids'

describe('migration 008-run-leases', () => {
  it('sets user_version to 8 and keeps every run and every row that points at one', () => {
    seedV7()
    const runs = db.prepare(`SELECT ${RUN_COLUMNS} FROM training_runs ORDER BY id`).all()
    const before = snapshot()
    expect(migrate(db, 8)).toBe(8)
    expect(schemaVersion(db)).toBe(8)
    expect(db.prepare(`SELECT ${RUN_COLUMNS} FROM training_runs ORDER BY id`).all()).toEqual(runs)
    expect(snapshot()).toEqual(before)
    // No run has a lease yet: the one left 'running' by v7 is for the next open to judge.
    expect(db.prepare('SELECT count(*) FROM training_runs WHERE lease_owner IS NOT NULL').pluck().get()).toBe(0)
    expect(db.pragma('foreign_key_check')).toEqual([])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it("accepts 'interrupted', keeps the table STRICT, its cascades and its lease all-or-nothing", () => {
    seedV7()
    migrate(db, 8)
    expect(db.prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = 'training_runs'").pluck().get()).toBe(1)
    db.prepare("UPDATE training_runs SET status = 'interrupted' WHERE id = 22").run()
    expect(() => db.prepare("UPDATE training_runs SET status = 'paused' WHERE id = 22").run()).toThrow(/CHECK/)
    db.prepare("UPDATE training_runs SET lease_owner = 'a', lease_host = 'h', lease_pid = 42, lease_heartbeat_at = 3000 WHERE id = 22").run()
    expect(() => db.prepare('UPDATE training_runs SET lease_heartbeat_at = NULL WHERE id = 22').run()).toThrow(/CHECK/)
    expect(() => db.prepare("UPDATE training_runs SET lease_pid = 'x' WHERE id = 22").run()).toThrow(/cannot store TEXT value in INTEGER column/)
    // The rows that point at runs still go with them.
    db.prepare('DELETE FROM training_runs WHERE id IN (21, 22)').run()
    for (const table of TABLES) expect(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), table).toBe(0)
    expect(() => db.prepare("INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (99, 0, '{}')").run()).toThrow(/FOREIGN KEY/)
    expect(db.pragma('foreign_key_check')).toEqual([])
  })
})
