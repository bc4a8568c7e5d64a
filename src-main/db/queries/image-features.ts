import type { Database } from 'better-sqlite3'
import { writeTransaction } from '../transaction'

/** One image's features as stored: float32 values for one content hash under one model version. */
export interface FeatureRow {
  contentHash: string
  features: Float32Array
}

// Hash lists go in as one JSON array through json_each: no limit on bound parameters, one statement.
const EXISTING = `SELECT content_hash FROM image_features
  WHERE model_version = ? AND content_hash IN (SELECT value FROM json_each(?))`
const WITH_FEATURES = `SELECT content_hash AS contentHash, features FROM image_features
  WHERE model_version = ? AND content_hash IN (SELECT value FROM json_each(?))`

/** Features for `hashes` under `modelVersion`, by hash; hashes without a row are simply absent. */
export function getFeatures(db: Database, modelVersion: string, hashes: readonly string[]): Map<string, Float32Array> {
  const found = new Map<string, Float32Array>()
  if (hashes.length === 0) return found
  const rows = db.prepare(WITH_FEATURES).all(modelVersion, JSON.stringify(unique(hashes))) as { contentHash: string; features: Buffer }[]
  for (const row of rows) found.set(row.contentHash, decodeFloat32LE(row.features))
  return found
}

/** The distinct hashes of `hashes` (first-seen order) that have no features under `modelVersion` yet. */
export function findMissingFeatures(db: Database, modelVersion: string, hashes: readonly string[]): string[] {
  const wanted = unique(hashes)
  if (wanted.length === 0) return []
  const present = new Set(db.prepare(EXISTING).pluck().all(modelVersion, JSON.stringify(wanted)) as string[])
  return wanted.filter((hash) => !present.has(hash))
}

/**
 * Stores one batch in one transaction: a batch is either all there or not at all, so a job killed
 * between batches keeps every finished batch and a re-run finds exactly what is still missing.
 * Re-inserting a hash replaces its features (same weights give the same values anyway).
 */
export function insertFeatures(db: Database, modelVersion: string, rows: readonly FeatureRow[], now = Date.now()): void {
  const insert = db.prepare(
    `INSERT INTO image_features (content_hash, model_version, features, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (content_hash, model_version) DO UPDATE SET features = excluded.features, created_at = excluded.created_at`
  )
  writeTransaction(db, () => {
    for (const row of rows) insert.run(row.contentHash, modelVersion, encodeFloat32LE(row.features), now)
  })
}

export function countFeatures(db: Database, modelVersion?: string): number {
  return modelVersion === undefined
    ? (db.prepare('SELECT count(*) FROM image_features').pluck().get() as number)
    : (db.prepare('SELECT count(*) FROM image_features WHERE model_version = ?').pluck().get(modelVersion) as number)
}

/**
 * Drops features no image uses any more (files removed from the project) and, when `keepVersion` is
 * given, features of every other model version (a replaced base model). Returns rows deleted.
 */
export function pruneFeatures(db: Database, keepVersion?: string): number {
  return writeTransaction(db, () => {
    let deleted = db
      .prepare('DELETE FROM image_features WHERE content_hash NOT IN (SELECT content_hash FROM images WHERE content_hash IS NOT NULL)')
      .run().changes
    if (keepVersion !== undefined) deleted += db.prepare('DELETE FROM image_features WHERE model_version <> ?').run(keepVersion).changes
    return deleted
  })
}

// Every machine Pictor ships on is little-endian; the DataView paths keep the format right anyway.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** float32 values → little-endian bytes, whatever the machine's byte order. */
export function encodeFloat32LE(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
  const bytes = Buffer.alloc(values.length * 4)
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i]!, i * 4)
  return bytes
}

/** Little-endian bytes → a fresh, aligned Float32Array (SQLite's buffer may start at any offset). */
export function decodeFloat32LE(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new RangeError(`a feature blob must be a multiple of 4 bytes, got ${bytes.byteLength}`)
  if (LITTLE_ENDIAN) {
    // A copy, never bytes.slice(): on a Buffer that is a view into a shared pool.
    const copy = new Uint8Array(bytes.byteLength)
    copy.set(bytes)
    return new Float32Array(copy.buffer)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const values = new Float32Array(bytes.byteLength / 4)
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true)
  return values
}

function unique(hashes: readonly string[]): string[] {
  return [...new Set(hashes)]
}
