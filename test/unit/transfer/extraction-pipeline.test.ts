import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { countFeatures, getFeatures } from '../../../src-main/db/queries/image-features'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { extractMissingFeatures } from '../../../src-main/classifier/features/extract-features'
import { PREFETCH_BATCHES } from '../../../src-main/classifier/features/extract-in-thread'
import { FeatureExtractor } from '../../../src-main/classifier/features/feature-extractor'
import { writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'

// The in-thread pipeline decodes PREFETCH_BATCHES batches ahead of the backbone (issue 18). How far
// ahead it decodes must change nothing but speed: the same features, one committed batch at a time,
// and a cancel that keeps exactly the batches the backbone finished. The backbone's calls are counted
// at the extractor (a randomly initialised MobileNetV2: same shapes and cost as the pretrained one).

let dir: string
let db: Database
let modelsDir: string
let extractor: FeatureExtractor
const calls: number[] = []

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-extraction-pipeline-')
  modelsDir = join(dir, 'models')
  const modelJson = await writeRandomBaseModel(modelsDir)
  const setup = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [5, 5] }))
  db = openProjectDatabase(setup.projectPath)
  extractor = await FeatureExtractor.fromModelJson(modelJson, { backend: 'wasm' })
  const extract = extractor.extract.bind(extractor)
  extractor.extract = async (images) => {
    calls.push(images.length)
    return extract(images)
  }
}, 60_000)

afterAll(() => {
  extractor?.dispose()
  db?.close()
  removeTempDir(dir)
})

const examples = () => loadTrainingExamples(db).examples
const hashes = () => examples().map((example) => example.contentHash!)

describe('the extraction pipeline', () => {
  it('stores the same features whether it decodes 1, 2 or 4 batches ahead', async () => {
    expect(PREFETCH_BATCHES).toBe(2)
    const stored: Map<string, Float32Array>[] = []
    for (const prefetchBatches of [1, 2, 4]) {
      db.exec('DELETE FROM image_features')
      calls.length = 0
      const report = await extractMissingFeatures(db, examples(), { modelsDir, signal: new AbortController().signal, extractor, batchSize: 3, tuning: { prefetchBatches } })
      expect(report).toMatchObject({ total: 10, computed: 10, skipped: [] })
      expect(calls).toEqual([3, 3, 3, 1])
      stored.push(getFeatures(db, extractor.version, hashes()))
    }
    for (const other of stored.slice(1)) {
      for (const [hash, features] of stored[0]!) expect(Array.from(other.get(hash)!)).toEqual(Array.from(features))
    }
  })

  it('a cancel with batches decoded ahead keeps only the batches the backbone finished; a re-run resumes', async () => {
    db.exec('DELETE FROM image_features')
    calls.length = 0
    const controller = new AbortController()
    const cancelling = extractMissingFeatures(db, examples(), {
      modelsDir,
      signal: controller.signal,
      extractor,
      batchSize: 2,
      tuning: { prefetchBatches: 4 },
      onProgress: (update) => {
        if (update.done === 4) controller.abort()
      }
    })
    await expect(cancelling).rejects.toMatchObject({ code: 'CANCELLED' })
    // The other three batches were decoding ahead when the second finished; none reached the backbone.
    expect(calls).toEqual([2, 2])
    expect(countFeatures(db, extractor.version)).toBe(4)
    const resumed = await extractMissingFeatures(db, examples(), { modelsDir, signal: new AbortController().signal, extractor, batchSize: 2 })
    expect(resumed).toMatchObject({ cached: 4, computed: 6 })
    expect(calls).toEqual([2, 2, 2, 2, 2])
  })

  it('refuses a prefetch that is not a whole number of batches ≥ 1', async () => {
    for (const prefetchBatches of [0, 1.5]) {
      await expect(extractMissingFeatures(db, examples(), { modelsDir, signal: new AbortController().signal, extractor, tuning: { prefetchBatches } })).rejects.toThrow(RangeError)
    }
  })
})
