import type { Database } from 'better-sqlite3'
import { readTransaction, writeTransaction } from '../transaction'
import { deleteUnreferencedWeightBlobs, INLINE_WEIGHT_BYTES, readWeightBlob, writeWeightBlob } from './weight-blobs'

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

/** Where one value of weights is stored: inline in the row, or (when large) in a chunked blob. */
interface StoredBytes {
  inline: Buffer
  blob: number | null
}

const EMPTY = Buffer.alloc(0)

/** Large weights go to a chunked blob first (short transactions); small ones stay inline. */
function storeBytes(db: Database, runId: number, bytes: Uint8Array, now: number): StoredBytes {
  if (bytes.byteLength <= INLINE_WEIGHT_BYTES) return { inline: Buffer.from(bytes), blob: null }
  return { inline: EMPTY, blob: writeWeightBlob(db, runId, bytes, now) }
}

function loadBytes(db: Database, inline: Buffer, blob: number | null): Uint8Array {
  return blob === null ? new Uint8Array(inline) : readWeightBlob(db, blob)
}

export interface SaveOptions {
  now?: number
  /**
   * More writes to commit in the same short transaction as the row that makes the model visible
   * (dropping the checkpoint, marking the run done), so they all land or none does.
   */
  commitWith?: () => void
}

/**
 * Stores a run's final model. Large weights are written beforehand in chunks, each in its own short
 * transaction, so the write lock is never held for long; call it outside a transaction for that
 * (inside one it still works, holding the caller's lock throughout).
 */
export function saveRunModel(db: Database, runId: number, model: StoredModel, { now = Date.now(), commitWith }: SaveOptions = {}): void {
  const weights = storeBytes(db, runId, model.weights, now)
  writeTransaction(db, () => {
    db.prepare(
      `INSERT INTO run_models (run_id, topology, weight_specs, weights, weights_blob, saved_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET topology = excluded.topology, weight_specs = excluded.weight_specs,
         weights = excluded.weights, weights_blob = excluded.weights_blob, saved_at = excluded.saved_at`
    ).run(runId, JSON.stringify(model.topology), JSON.stringify(model.weightSpecs), weights.inline, weights.blob, now)
    commitWith?.()
  })
  // A replaced model's blob, and the checkpoint's if commitWith dropped it.
  if (!db.inTransaction) deleteUnreferencedWeightBlobs(db, runId)
}

export function loadRunModel(db: Database, runId: number): StoredModel | undefined {
  // One snapshot: the row and the chunks it points at, even while a newer model replaces them.
  return readTransaction(db, () => {
    const row = db
      .prepare('SELECT topology, weight_specs AS weightSpecs, weights, weights_blob AS weightsBlob FROM run_models WHERE run_id = ?')
      .get(runId) as { topology: string; weightSpecs: string; weights: Buffer; weightsBlob: number | null } | undefined
    if (!row) return undefined
    return {
      topology: JSON.parse(row.topology),
      weightSpecs: JSON.parse(row.weightSpecs),
      weights: loadBytes(db, row.weights, row.weightsBlob)
    }
  })
}

/**
 * Replaces a run's checkpoint (after every epoch). Like saveRunModel, large weights are written in
 * chunks first and the row that points at them last; the replaced checkpoint's chunks go afterwards.
 */
export function saveCheckpoint(db: Database, runId: number, checkpoint: StoredCheckpoint, now = Date.now()): void {
  const weights = storeBytes(db, runId, checkpoint.model.weights, now)
  const optimizer = storeBytes(db, runId, checkpoint.optimizer.weights, now)
  writeTransaction(db, () =>
    db
      .prepare(
        `INSERT INTO run_checkpoints (run_id, epoch, weight_specs, weights, weights_blob, optimizer_specs, optimizer_weights,
                                      optimizer_blob, state, saved_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET epoch = excluded.epoch, weight_specs = excluded.weight_specs,
           weights = excluded.weights, weights_blob = excluded.weights_blob, optimizer_specs = excluded.optimizer_specs,
           optimizer_weights = excluded.optimizer_weights, optimizer_blob = excluded.optimizer_blob,
           state = excluded.state, saved_at = excluded.saved_at`
      )
      .run(
        runId,
        checkpoint.epoch,
        JSON.stringify(checkpoint.model.weightSpecs),
        weights.inline,
        weights.blob,
        JSON.stringify(checkpoint.optimizer.weightSpecs),
        optimizer.inline,
        optimizer.blob,
        JSON.stringify(checkpoint.state),
        now
      )
  )
  if (!db.inTransaction) deleteUnreferencedWeightBlobs(db, runId)
}

export function hasCheckpoint(db: Database, runId: number): boolean {
  return db.prepare('SELECT 1 FROM run_checkpoints WHERE run_id = ?').pluck().get(runId) !== undefined
}

export function loadCheckpoint(db: Database, runId: number): StoredCheckpoint | undefined {
  return readTransaction(db, () => {
    const row = db
      .prepare(
        `SELECT epoch, weight_specs AS weightSpecs, weights, weights_blob AS weightsBlob, optimizer_specs AS optimizerSpecs,
                optimizer_weights AS optimizerWeights, optimizer_blob AS optimizerBlob, state
         FROM run_checkpoints WHERE run_id = ?`
      )
      .get(runId) as
      | {
          epoch: number
          weightSpecs: string
          weights: Buffer
          weightsBlob: number | null
          optimizerSpecs: string
          optimizerWeights: Buffer
          optimizerBlob: number | null
          state: string
        }
      | undefined
    if (!row) return undefined
    return {
      epoch: row.epoch,
      model: { weightSpecs: JSON.parse(row.weightSpecs), weights: loadBytes(db, row.weights, row.weightsBlob) },
      optimizer: { weightSpecs: JSON.parse(row.optimizerSpecs), weights: loadBytes(db, row.optimizerWeights, row.optimizerBlob) },
      state: JSON.parse(row.state)
    }
  })
}

/** A finished run keeps its final model only; the checkpoint's chunks go too (outside a transaction). */
export function deleteCheckpoint(db: Database, runId: number): void {
  db.prepare('DELETE FROM run_checkpoints WHERE run_id = ?').run(runId)
  if (!db.inTransaction) deleteUnreferencedWeightBlobs(db, runId)
}
