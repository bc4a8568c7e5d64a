import type { Database } from 'better-sqlite3'

export interface StoredWeights {
  weightSpecs: unknown[]
  weights: Uint8Array
}

export interface StoredModel extends StoredWeights {
  topology: unknown
}

export interface StoredCheckpoint {
  epoch: number
  model: StoredWeights
  optimizer: StoredWeights
  state: unknown
}

export function saveRunModel(db: Database, runId: number, model: StoredModel, now = Date.now()): void {
  db.prepare(
    `INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET topology = excluded.topology, weight_specs = excluded.weight_specs,
       weights = excluded.weights, saved_at = excluded.saved_at`
  ).run(runId, JSON.stringify(model.topology), JSON.stringify(model.weightSpecs), Buffer.from(model.weights), now)
}

export function loadRunModel(db: Database, runId: number): StoredModel | undefined {
  const row = db
    .prepare('SELECT topology, weight_specs AS weightSpecs, weights FROM run_models WHERE run_id = ?')
    .get(runId) as { topology: string; weightSpecs: string; weights: Buffer } | undefined
  if (!row) return undefined
  return { topology: JSON.parse(row.topology), weightSpecs: JSON.parse(row.weightSpecs), weights: new Uint8Array(row.weights) }
}

export function saveCheckpoint(db: Database, runId: number, checkpoint: StoredCheckpoint, now = Date.now()): void {
  db.prepare(
    `INSERT INTO run_checkpoints (run_id, epoch, weight_specs, weights, optimizer_specs, optimizer_weights, state, saved_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET epoch = excluded.epoch, weight_specs = excluded.weight_specs,
       weights = excluded.weights, optimizer_specs = excluded.optimizer_specs,
       optimizer_weights = excluded.optimizer_weights, state = excluded.state, saved_at = excluded.saved_at`
  ).run(
    runId,
    checkpoint.epoch,
    JSON.stringify(checkpoint.model.weightSpecs),
    Buffer.from(checkpoint.model.weights),
    JSON.stringify(checkpoint.optimizer.weightSpecs),
    Buffer.from(checkpoint.optimizer.weights),
    JSON.stringify(checkpoint.state),
    now
  )
}

export function loadCheckpoint(db: Database, runId: number): StoredCheckpoint | undefined {
  const row = db
    .prepare(
      `SELECT epoch, weight_specs AS weightSpecs, weights, optimizer_specs AS optimizerSpecs,
              optimizer_weights AS optimizerWeights, state FROM run_checkpoints WHERE run_id = ?`
    )
    .get(runId) as
    | { epoch: number; weightSpecs: string; weights: Buffer; optimizerSpecs: string; optimizerWeights: Buffer; state: string }
    | undefined
  if (!row) return undefined
  return {
    epoch: row.epoch,
    model: { weightSpecs: JSON.parse(row.weightSpecs), weights: new Uint8Array(row.weights) },
    optimizer: { weightSpecs: JSON.parse(row.optimizerSpecs), weights: new Uint8Array(row.optimizerWeights) },
    state: JSON.parse(row.state)
  }
}

/** A finished run keeps its final model only. */
export function deleteCheckpoint(db: Database, runId: number): void {
  db.prepare('DELETE FROM run_checkpoints WHERE run_id = ?').run(runId)
}
