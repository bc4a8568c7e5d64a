import { unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import type { Database } from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { countFeatures, findMissingFeatures } from '../../../src-main/db/queries/image-features'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { extractMissingFeatures, type ExtractionProgress } from '../../../src-main/classifier/features/extract-features'
import { FeatureExtractor } from '../../../src-main/classifier/features/feature-extractor'
import { featureWorkerCount } from '../../../src-main/classifier/features/feature-workers'
import { writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'

// Feature extraction split across worker threads (one wasm backbone each), on a real imported
// project with a randomly initialised MobileNetV2 (the same shapes and cost as the pretrained one,
// so this runs everywhere). Needs `npm run build`: the workers run the built feature-worker.

// Every worker thread started, to check that none outlives an extraction (threadId is -1 once exited).
const spawned = vi.hoisted(() => [] as Worker[])
vi.mock('node:worker_threads', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:worker_threads')>()
  class TrackedWorker extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args)
      spawned.push(this)
    }
  }
  return { ...actual, default: { ...actual, Worker: TrackedWorker }, Worker: TrackedWorker }
})
const running = () => spawned.filter((worker) => worker.threadId !== -1).length

let dir: string
let modelsDir: string
let db: Database
let version: string
const savedWorkers = process.env.PICTOR_FEATURE_WORKERS

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-parallel-features-')
  modelsDir = join(dir, 'models')
  await writeRandomBaseModel(modelsDir)
  const setup = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [6, 6] }))
  db = openProjectDatabase(setup.projectPath)
}, 60_000)

afterEach(() => {
  vi.restoreAllMocks()
  if (savedWorkers === undefined) delete process.env.PICTOR_FEATURE_WORKERS
  else process.env.PICTOR_FEATURE_WORKERS = savedWorkers
})

afterAll(() => {
  db?.close()
  removeTempDir(dir)
})

const examples = () => loadTrainingExamples(db).examples
const stored = () =>
  new Map((db.prepare('SELECT content_hash AS hash, features FROM image_features').all() as { hash: string; features: Buffer }[]).map((row) => [row.hash, row.features]))
const run = (workers: number, options: { batchSize?: number; signal?: AbortSignal; onProgress?: (p: ExtractionProgress) => void } = {}) => {
  process.env.PICTOR_FEATURE_WORKERS = String(workers)
  return extractMissingFeatures(db, examples(), {
    modelsDir,
    backend: 'wasm',
    signal: options.signal ?? new AbortController().signal,
    batchSize: options.batchSize ?? 4,
    ...(options.onProgress ? { onProgress: options.onProgress } : {})
  })
}

describe('featureWorkerCount', () => {
  it('reads PICTOR_FEATURE_WORKERS, else one per core up to 4', () => {
    expect(featureWorkerCount({ PICTOR_FEATURE_WORKERS: '3' })).toBe(3)
    expect(featureWorkerCount({})).toBeGreaterThanOrEqual(1)
    expect(featureWorkerCount({})).toBeLessThanOrEqual(4)
    expect(() => featureWorkerCount({ PICTOR_FEATURE_WORKERS: '0' })).toThrow(RangeError)
    expect(() => featureWorkerCount({ PICTOR_FEATURE_WORKERS: 'two' })).toThrow(RangeError)
  })
})

describe('extractMissingFeatures in worker threads', () => {
  it('stores bit-identical features with 2 workers and with 1 (in this thread)', async () => {
    const load = vi.spyOn(FeatureExtractor, 'load')
    const one = await run(1)
    expect(one).toMatchObject({ total: 12, cached: 0, computed: 12, skipped: [] })
    expect(load).toHaveBeenCalledTimes(1)
    version = one.modelVersion
    const reference = stored()
    expect(reference.size).toBe(12)

    db.prepare('DELETE FROM image_features').run()
    expect(spawned).toHaveLength(0)
    const progress: ExtractionProgress[] = []
    const two = await run(2, { onProgress: (update) => progress.push(update) })
    // The backbones ran in two workers, both gone now: nothing was loaded in this thread.
    expect(load).toHaveBeenCalledTimes(1)
    expect(spawned).toHaveLength(2)
    expect(running()).toBe(0)
    expect(two).toMatchObject({ total: 12, cached: 0, computed: 12, skipped: [], modelVersion: version })
    expect(two.imagesPerSecond).toBeGreaterThan(0)
    expect(progress.map((update) => update.done)).toEqual([4, 8, 12])
    expect(progress.every((update) => update.total === 12)).toBe(true)
    expect(progress.at(-1)!.message).toMatch(/^Extracting features: 12\/12 images \(\d+\.\d images\/s\)$/)
    const parallel = stored()
    expect([...parallel.keys()].sort()).toEqual([...reference.keys()].sort())
    for (const [hash, features] of reference) expect(parallel.get(hash)!.equals(features)).toBe(true)

    expect(await run(2)).toMatchObject({ total: 12, cached: 12, computed: 0 })
  }, 120_000)

  it('a cancel with 2 workers keeps the committed batches and stops the workers; a re-run resumes', async () => {
    db.prepare('DELETE FROM image_features').run()
    const controller = new AbortController()
    const before = spawned.length
    const error = await run(2, { batchSize: 2, signal: controller.signal, onProgress: () => controller.abort() }).catch((thrown: Error) => thrown)
    expect(error).toMatchObject({ code: 'CANCELLED', message: expect.stringMatching(/cancelled after \d+ of 12 images/) })
    expect(spawned.length - before).toBe(2)
    expect(running()).toBe(0)
    const kept = Number((error as Error).message.match(/after (\d+) of/)![1])
    // The batch that triggered the cancel, plus at most the one on each worker's backbone by then
    // (each starts its next batch as soon as it has posted one); queued ones were dropped.
    expect(kept).toBeGreaterThanOrEqual(2)
    expect(kept).toBeLessThanOrEqual(2 + 2 * 2)
    expect(countFeatures(db, version)).toBe(kept)

    // A file that vanished meanwhile is skipped by the worker, not fatal.
    const missing = findMissingFeatures(db, version, examples().map((example) => example.contentHash!))
    const gone = examples().find((example) => example.contentHash === missing.at(-1))!
    unlinkSync(gone.path)
    const resumed = await run(2, { batchSize: 2 })
    expect(resumed).toMatchObject({ total: 12, cached: kept, computed: 12 - kept - 1 })
    expect(resumed.skipped).toEqual([{ imageId: gone.imageId, path: gone.path, reason: expect.stringMatching(/no longer exists/) }])
    expect(countFeatures(db, version)).toBe(11)
    expect(running()).toBe(0)
  }, 120_000)
})
