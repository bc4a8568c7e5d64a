import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createProjectDatabase } from '../../../src-main/db/connection'
import {
  countFeatures,
  decodeFloat32LE,
  encodeFloat32LE,
  findMissingFeatures,
  getFeatures,
  insertFeatures,
  pruneFeatures
} from '../../../src-main/db/queries/image-features'
import { useTempDir } from '../../helpers/temp-dir'

// The feature cache's queries on a real project file: keyed by (content hash, model version),
// stored as little-endian float32, found and missed in bulk, pruned when images go.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = createProjectDatabase(join(tempDir(), 'features.pictor'))
})

afterEach(() => {
  db.close()
})

const hash = (n: number) => n.toString(16).padStart(64, '0')
const features = (seed: number, size = 1280) => Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 1000 + i) * 3)

describe('image feature queries', () => {
  it('stores float32 little-endian bytes and reads back the exact values', () => {
    const values = Float32Array.from([1, -2.5, 3.14159, 1e-30, -0, 65504])
    const bytes = encodeFloat32LE(values)
    expect(bytes.length).toBe(24)
    expect(bytes.readFloatLE(8)).toBe(Math.fround(3.14159))
    expect(Array.from(decodeFloat32LE(bytes))).toEqual(Array.from(values))
    // An unaligned view (as SQLite or a Buffer pool may hand out) decodes too.
    const padded = Buffer.concat([Buffer.from([9]), bytes]).subarray(1)
    expect(Array.from(decodeFloat32LE(padded))).toEqual(Array.from(values))
    expect(() => decodeFloat32LE(new Uint8Array(6))).toThrow(/multiple of 4/)

    insertFeatures(db, 'v1', [{ contentHash: hash(1), features: features(1) }])
    const blob = db.prepare('SELECT features FROM image_features').pluck().get() as Buffer
    expect(blob.length).toBe(5120)
    expect(getFeatures(db, 'v1', [hash(1)]).get(hash(1))).toEqual(features(1))
  })

  it('finds what is missing per model version, each hash once, in first-seen order', () => {
    insertFeatures(db, 'v1', [1, 2, 3].map((n) => ({ contentHash: hash(n), features: features(n) })), 1000)
    insertFeatures(db, 'v2', [{ contentHash: hash(4), features: features(4) }], 1000)
    expect(findMissingFeatures(db, 'v1', [hash(5), hash(1), hash(4), hash(5), hash(3)])).toEqual([hash(5), hash(4)])
    expect(findMissingFeatures(db, 'v2', [hash(1), hash(4)])).toEqual([hash(1)])
    expect(findMissingFeatures(db, 'v1', [])).toEqual([])
    const found = getFeatures(db, 'v1', [hash(3), hash(9), hash(1), hash(3)])
    expect([...found.keys()].sort()).toEqual([hash(1), hash(3)])
    expect(found.get(hash(3))).toEqual(features(3))
    expect(countFeatures(db)).toBe(4)
    expect(countFeatures(db, 'v1')).toBe(3)
  })

  it('handles thousands of hashes in one call (no bound-parameter limit)', () => {
    const many = Array.from({ length: 40_000 }, (_, n) => hash(n))
    insertFeatures(db, 'v1', many.slice(0, 100).map((h, n) => ({ contentHash: h, features: features(n, 4) })))
    expect(findMissingFeatures(db, 'v1', many)).toHaveLength(39_900)
    expect(getFeatures(db, 'v1', many).size).toBe(100)
  })

  it('replaces a row on re-insert and commits a batch whole or not at all', () => {
    insertFeatures(db, 'v1', [{ contentHash: hash(1), features: features(1) }], 1000)
    insertFeatures(db, 'v1', [{ contentHash: hash(1), features: features(2) }], 2000)
    expect(getFeatures(db, 'v1', [hash(1)]).get(hash(1))).toEqual(features(2))
    expect(db.prepare('SELECT created_at FROM image_features').pluck().get()).toBe(2000)
    // An empty blob violates the table's CHECK: the whole batch, good rows included, is rolled back.
    expect(() =>
      insertFeatures(db, 'v1', [
        { contentHash: hash(7), features: features(7) },
        { contentHash: hash(8), features: new Float32Array(0) }
      ])
    ).toThrow(/CHECK constraint/)
    expect(findMissingFeatures(db, 'v1', [hash(7)])).toEqual([hash(7)])
  })

  it('prunes features no image uses, and other model versions when asked', () => {
    db.prepare("INSERT INTO sources (id, root_path, added_at) VALUES (1, '/photos', 1)").run()
    db.prepare("INSERT INTO images (source_id, rel_path, bytes, mtime_ms, content_hash, imported_at) VALUES (1, 'a.png', 1, 1, ?, 1)").run(hash(1))
    insertFeatures(db, 'v1', [1, 2].map((n) => ({ contentHash: hash(n), features: features(n) })))
    insertFeatures(db, 'v2', [{ contentHash: hash(1), features: features(1) }])
    expect(pruneFeatures(db)).toBe(1) // hash(2): no image has it
    expect(countFeatures(db)).toBe(2)
    expect(pruneFeatures(db, 'v2')).toBe(1)
    expect(db.prepare('SELECT model_version FROM image_features').pluck().all()).toEqual(['v2'])
  })
})
