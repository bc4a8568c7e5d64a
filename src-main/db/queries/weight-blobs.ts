import type { Database } from 'better-sqlite3'
import { sleepSync, writeTransaction } from '../transaction'

// Large weights (tables `weight_blobs` and `weight_chunks`, schema v7), written so that no single
// transaction holds the project's write lock for long: one chunk per transaction, with a pause
// between chunks so a waiting writer (the app saving a label) gets its turn. SQLite's busy wait
// polls, it does not queue, so back-to-back transactions would starve it all the same.

/** 1 MiB: a few milliseconds of write lock each. */
export const WEIGHT_CHUNK_BYTES = 1 << 20

/** Values up to this size are stored inline in their row, as before v7. */
export const INLINE_WEIGHT_BYTES = WEIGHT_CHUNK_BYTES

/**
 * Writes `bytes` as a new blob of run `runId` and answers its id. Nothing sees it until a row points
 * at it; a crash midway leaves an unreferenced blob that deleteUnreferencedWeightBlobs removes.
 * Inside a caller's transaction the chunks simply join it (the lock is held already).
 */
export function writeWeightBlob(db: Database, runId: number, bytes: Uint8Array, now = Date.now()): number {
  const insertBlob = db.prepare('INSERT INTO weight_blobs (run_id, byte_length, created_at) VALUES (?, ?, ?)')
  const insertChunk = db.prepare('INSERT INTO weight_chunks (blob_id, position, bytes) VALUES (?, ?, ?)')
  const blobId = Number(writeTransaction(db, () => insertBlob.run(runId, bytes.byteLength, now).lastInsertRowid))
  for (let offset = 0, position = 0; offset < bytes.byteLength; offset += WEIGHT_CHUNK_BYTES, position++) {
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(WEIGHT_CHUNK_BYTES, bytes.byteLength - offset))
    const started = performance.now()
    writeTransaction(db, () => insertChunk.run(blobId, position, chunk))
    letOtherWritersIn(db, performance.now() - started)
  }
  return blobId
}

/** The bytes of a blob; throws when chunks are missing (a damaged file), never returns a part. */
export function readWeightBlob(db: Database, blobId: number): Uint8Array {
  const length = db.prepare('SELECT byte_length FROM weight_blobs WHERE id = ?').pluck().get(blobId) as number | undefined
  if (length === undefined) throw new Error(`weight blob ${blobId} is missing`)
  const chunks = db.prepare('SELECT bytes FROM weight_chunks WHERE blob_id = ? ORDER BY position').pluck().all(blobId) as Buffer[]
  const bytes = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    if (offset + chunk.length > length) throw new Error(`weight blob ${blobId} has more bytes than recorded`)
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  if (offset !== length) throw new Error(`weight blob ${blobId} has ${offset} of its ${length} bytes`)
  return bytes
}

/**
 * Removes blobs that no model or checkpoint row points at (replaced checkpoints, a save cut short),
 * one chunk per transaction like the writes, and answers how many went. Only run `runId`'s and
 * those of runs no longer training: another process may be writing a running run's next blob.
 */
export function deleteUnreferencedWeightBlobs(db: Database, runId: number): number {
  const orphans = db
    .prepare(
      `SELECT b.id FROM weight_blobs b JOIN training_runs r ON r.id = b.run_id
       WHERE (b.run_id = ? OR r.status NOT IN ('queued', 'running'))
         AND NOT EXISTS (SELECT 1 FROM run_models m WHERE m.weights_blob = b.id)
         AND NOT EXISTS (SELECT 1 FROM run_checkpoints c WHERE c.weights_blob = b.id OR c.optimizer_blob = b.id)`
    )
    .pluck()
    .all(runId) as number[]
  const positions = db.prepare('SELECT position FROM weight_chunks WHERE blob_id = ? ORDER BY position').pluck()
  const deleteChunk = db.prepare('DELETE FROM weight_chunks WHERE blob_id = ? AND position = ?')
  const deleteBlob = db.prepare('DELETE FROM weight_blobs WHERE id = ?')
  for (const blobId of orphans) {
    for (const position of positions.all(blobId) as number[]) {
      const started = performance.now()
      writeTransaction(db, () => deleteChunk.run(blobId, position))
      letOtherWritersIn(db, performance.now() - started)
    }
    writeTransaction(db, () => deleteBlob.run(blobId))
  }
  return orphans.length
}

/** Idle as long as the last chunk held the lock (at most 50 ms); nothing to yield inside a transaction. */
function letOtherWritersIn(db: Database, heldMs: number): void {
  if (!db.inTransaction) sleepSync(Math.min(50, Math.max(1, heldMs)))
}
