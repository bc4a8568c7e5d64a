import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createProjectDatabase, openJobDatabase } from '../../../src-main/db/connection'
import { insertProject } from '../../../src-main/db/queries/project'
import {
  deleteCheckpoint,
  loadCheckpoint,
  loadRunModel,
  saveCheckpoint,
  saveRunModel,
  type StoredCheckpoint
} from '../../../src-main/db/queries/run-models'
import { createRun, deleteRun, finishRun, getRun } from '../../../src-main/db/queries/training-runs'
import { WEIGHT_CHUNK_BYTES } from '../../../src-main/db/queries/weight-blobs'
import { useTempDir } from '../../helpers/temp-dir'
import { OtherConnection } from './other-connection'

// Model and checkpoint weights in a real project file: small ones inline, large ones in chunks that
// are each committed on their own, so another writer is never kept out for the whole save.

const tempDir = useTempDir()
let db: Database | undefined
afterEach(() => {
  db?.close()
  db = undefined
})

function project(): { path: string; db: Database } {
  const path = join(tempDir(), 'p.pictor')
  createProjectDatabase(path, (fresh) => insertProject(fresh, { name: 'P', createdAt: 1 })).close()
  db = openJobDatabase(path)
  return { path, db }
}

const newRun = (db: Database) => createRun(db, { modelKind: 'cnn', settings: {}, classNames: ['a', 'b'], backend: null })

/** Distinct, seeded bytes, so a chunk out of order or missing shows. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let state = seed >>> 0
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    out[i] = state >>> 24
  }
  return out
}

function checkpoint(epoch: number, weightBytes: number, seed: number): StoredCheckpoint {
  return {
    epoch,
    model: { weightSpecs: [{ name: 'w', shape: [weightBytes / 4], dtype: 'float32' }], weights: bytes(weightBytes, seed) },
    optimizer: { weightSpecs: [{ name: 'm', shape: [weightBytes / 2], dtype: 'float32' }], weights: bytes(weightBytes * 2, seed + 1) },
    state: { earlyStopping: { wait: epoch } }
  }
}

/** Byte-for-byte, fast: a deep equality walks megabytes element by element. */
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

/** A checkpoint as loaded equals the one saved (the weights compared as bytes). */
function expectCheckpoint(loaded: StoredCheckpoint | undefined, saved: StoredCheckpoint): void {
  expect(loaded).toBeDefined()
  const { model, optimizer, ...rest } = loaded!
  expect(rest).toEqual({ epoch: saved.epoch, state: saved.state })
  expect(model.weightSpecs).toEqual(saved.model.weightSpecs)
  expect(optimizer.weightSpecs).toEqual(saved.optimizer.weightSpecs)
  expect(same(model.weights, saved.model.weights)).toBe(true)
  expect(same(optimizer.weights, saved.optimizer.weights)).toBe(true)
}

const count = (db: Database, table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number

describe('run model and checkpoint weights', () => {
  it('keeps small weights inline, as before schema v7', () => {
    const { db } = project()
    const runId = newRun(db)
    const model = { topology: { layers: 1 }, weightSpecs: [{ name: 'w' }], weights: bytes(5000, 1) }
    saveRunModel(db, runId, model)
    saveCheckpoint(db, runId, checkpoint(1, 4000, 2))
    expect(loadRunModel(db, runId)).toEqual(model)
    expect(loadCheckpoint(db, runId)).toEqual(checkpoint(1, 4000, 2))
    expect(count(db, 'weight_blobs')).toBe(0)
  })

  it('stores large weights in chunks and reads back every byte in order', () => {
    const { db } = project()
    const runId = newRun(db)
    // Not a whole number of chunks, so the last one is short.
    const size = Math.round(WEIGHT_CHUNK_BYTES * 2.5) + 4
    const model = { topology: { layers: 3 }, weightSpecs: [{ name: 'w' }], weights: bytes(size, 3) }
    saveRunModel(db, runId, model)
    saveCheckpoint(db, runId, checkpoint(4, size, 4))
    const loaded = loadRunModel(db, runId)
    expect(loaded?.topology).toEqual(model.topology)
    expect(same(loaded?.weights, model.weights)).toBe(true)
    expectCheckpoint(loadCheckpoint(db, runId), checkpoint(4, size, 4))
    // model: 3 chunks; checkpoint weights: 3; optimizer (twice the size): 6.
    expect(count(db, 'weight_blobs')).toBe(3)
    expect(count(db, 'weight_chunks')).toBe(12)
  })

  it('drops a replaced checkpoint’s chunks, and the checkpoint’s once the run keeps only its model', () => {
    const { db } = project()
    const runId = newRun(db)
    const size = WEIGHT_CHUNK_BYTES + 1
    for (let epoch = 1; epoch <= 3; epoch++) saveCheckpoint(db, runId, checkpoint(epoch, size, epoch))
    expect(loadCheckpoint(db, runId)?.epoch).toBe(3)
    expect(count(db, 'weight_blobs')).toBe(2)
    saveRunModel(db, runId, { topology: {}, weightSpecs: [], weights: bytes(size, 9) }, {
      commitWith: () => {
        deleteCheckpoint(db, runId)
        finishRun(db, runId, 'done', { summary: { epochsRun: 3 } })
      }
    })
    expect(loadCheckpoint(db, runId)).toBeUndefined()
    expect(getRun(db, runId)?.status).toBe('done')
    expect(count(db, 'weight_blobs')).toBe(1)
    expect(same(loadRunModel(db, runId)?.weights, bytes(size, 9))).toBe(true)
  })

  it('commits nothing of commitWith’s writes when one of them fails, and leaves no chunks behind once saved again', () => {
    const { db } = project()
    const runId = newRun(db)
    const size = WEIGHT_CHUNK_BYTES * 2
    expect(() =>
      saveRunModel(db, runId, { topology: {}, weightSpecs: [], weights: bytes(size, 5) }, {
        commitWith: () => {
          finishRun(db, runId, 'done', {})
          throw new Error('evaluation failed')
        }
      })
    ).toThrow('evaluation failed')
    expect(loadRunModel(db, runId)).toBeUndefined()
    expect(getRun(db, runId)?.status).toBe('queued')
    saveRunModel(db, runId, { topology: {}, weightSpecs: [], weights: bytes(size, 6) })
    expect(count(db, 'weight_blobs')).toBe(1)
  })

  it('deleting a run deletes its chunks', () => {
    const { db } = project()
    const runId = newRun(db)
    saveCheckpoint(db, runId, checkpoint(1, WEIGHT_CHUNK_BYTES * 2, 1))
    expect(count(db, 'weight_chunks')).toBeGreaterThan(0)
    expect(deleteRun(db, runId)).toBe(true)
    expect(count(db, 'weight_blobs')).toBe(0)
    expect(count(db, 'weight_chunks')).toBe(0)
  })

  it('lets another connection write between the chunks of a large checkpoint', async () => {
    const { path, db } = project()
    db.exec('CREATE TABLE t (at REAL NOT NULL)')
    const runId = newRun(db)
    const other = new OtherConnection(path)
    try {
      const { done } = await other.writeFor(4000, "INSERT INTO t (at) VALUES ((julianday('now') - 2440587.5) * 86400000.0)")
      const started = Date.now()
      // 24 MiB of model weights and 48 MiB of optimizer state: a CNN on 128-pixel images.
      saveCheckpoint(db, runId, checkpoint(1, 24 * WEIGHT_CHUNK_BYTES, 7))
      const ended = Date.now()
      const { longestMs } = await done
      const during = db.prepare('SELECT count(*) FROM t WHERE at > ? AND at < ?').pluck().get(started, ended) as number
      console.log(
        `a 72 MiB checkpoint saved in ${ended - started} ms; the other connection committed ${during} writes meanwhile, ` +
          `the longest taking ${longestMs.toFixed(1)} ms`
      )
      // Written as one value it would hold the lock the whole time and let none in.
      expect(during).toBeGreaterThanOrEqual(20)
      expectCheckpoint(loadCheckpoint(db, runId), checkpoint(1, 24 * WEIGHT_CHUNK_BYTES, 7))
    } finally {
      await other.close()
    }
  })
})
