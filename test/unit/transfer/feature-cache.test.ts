import { copyFileSync, readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { countFeatures, findMissingFeatures } from '../../../src-main/db/queries/image-features'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { extractMissingFeatures, type ExtractionProgress } from '../../../src-main/classifier/features/extract-features'
import { FeatureExtractor } from '../../../src-main/classifier/features/feature-extractor'
import { writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { runImport } from '../../helpers/import-project'
import { createTrainingProject, splitGroups, writeGroups } from '../../helpers/training-project'
import type { ImportSetup } from '../../helpers/import-project'

// The feature cache end to end on a real imported project, with a randomly initialised MobileNetV2
// (same shapes and cost as the pretrained one, so this runs on machines without the shared model).
// Extractions are counted at the extractor, so "nothing recomputed" is measured, not inferred.

let dir: string
let modelsDir: string
let setup: ImportSetup
let db: Database
let extractor: FeatureExtractor
const counted = { images: 0, calls: 0 }

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-feature-cache-')
  modelsDir = join(dir, 'models')
  const modelJson = await writeRandomBaseModel(modelsDir)
  setup = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [3, 3] }))
  db = openProjectDatabase(setup.projectPath)
  extractor = await FeatureExtractor.fromModelJson(modelJson, { backend: 'wasm' })
  const extract = extractor.extract.bind(extractor)
  extractor.extract = async (images) => {
    counted.calls++
    counted.images += images.length
    return extract(images)
  }
}, 60_000)

afterAll(() => {
  extractor?.dispose()
  db?.close()
  removeTempDir(dir)
})

const examples = () => loadTrainingExamples(db).examples
const run = (options: { batchSize?: number; signal?: AbortSignal; onProgress?: (p: ExtractionProgress) => void; shared?: boolean } = {}) =>
  extractMissingFeatures(db, examples(), {
    modelsDir,
    signal: options.signal ?? new AbortController().signal,
    ...(options.shared === false ? {} : { extractor }),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {})
  })

describe('extractMissingFeatures', () => {
  it('extracts every image once, reports progress, and a second call computes nothing', async () => {
    const progress: ExtractionProgress[] = []
    const first = await run({ batchSize: 4, onProgress: (update) => progress.push(update) })
    expect(first).toMatchObject({ total: 6, cached: 0, computed: 6, skipped: [], unhashed: 0 })
    expect(first.modelVersion).toBe(extractor.version)
    expect(counted).toEqual({ images: 6, calls: 2 })
    expect(progress.map((update) => [update.done, update.total])).toEqual([[4, 6], [6, 6]])
    expect(progress.at(-1)!.imagesPerSecond).toBeGreaterThan(0)
    expect(progress.at(-1)!.message).toMatch(/^Extracting features: 6\/6 images \(\d+\.\d images\/s\)$/)
    expect(countFeatures(db, extractor.version)).toBe(6)

    const second = await run()
    expect(second).toMatchObject({ total: 6, cached: 6, computed: 0 })
    expect(counted).toEqual({ images: 6, calls: 2 })
    // Without a preloaded extractor the version comes from the model files: still nothing to do,
    // and the backbone is not even loaded.
    expect(await run({ shared: false })).toMatchObject({ cached: 6, computed: 0, modelVersion: extractor.version })
  })

  it('after adding 3 new images computes only those 3; a duplicate file costs nothing', async () => {
    await writeGroups(setup.folder, [{ dir: 'train/red', look: 'red', count: 3 }])
    const anyRed = readdirSync(join(setup.folder, 'train', 'red'))[0]!
    copyFileSync(join(setup.folder, 'train', 'red', anyRed), join(setup.folder, 'train', 'blue', 'copy-of-a-red.png'))
    const report = await runImport(setup)
    expect(report.imported).toBe(4)
    expect(examples()).toHaveLength(10)
    const before = counted.images
    expect(await run()).toMatchObject({ total: 9, cached: 6, computed: 3 })
    expect(counted.images - before).toBe(3)
  })

  it('a cancel keeps the committed batches; a re-run resumes and a vanished file is skipped, not fatal', async () => {
    db.prepare('DELETE FROM image_features').run()
    const controller = new AbortController()
    const before = counted.images
    await expect(run({ batchSize: 4, signal: controller.signal, onProgress: () => controller.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
      message: expect.stringMatching(/cancelled after 4 of 9 images/)
    })
    expect(countFeatures(db, extractor.version)).toBe(4)
    // At most one look-ahead batch was decoded; none went through the backbone after the cancel.
    expect(counted.images - before).toBe(4)

    const hashes = examples().map((example) => example.contentHash!)
    const missing = findMissingFeatures(db, extractor.version, hashes)
    expect(missing).toHaveLength(5)
    const gone = examples().find((example) => example.contentHash === missing.at(-1))!
    unlinkSync(gone.path)
    const resumed = await run({ batchSize: 4 })
    expect(resumed).toMatchObject({ total: 9, cached: 4, computed: 4 })
    expect(resumed.skipped).toEqual([{ imageId: gone.imageId, path: gone.path, reason: expect.stringMatching(/no longer exists/) }])
    expect(countFeatures(db, extractor.version)).toBe(8)
    expect(counted.images - before).toBe(8)
  })
})
