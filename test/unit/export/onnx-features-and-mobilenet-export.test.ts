import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { getFeatures } from '../../../src-main/db/queries/image-features'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { getRun } from '../../../src-main/db/queries/training-runs'
import { exportRun } from '../../../src-main/export/export-run'
import type { ExportMetadata } from '../../../src-main/classifier/model-metadata'
import { OnnxModel } from '../../../src-main/classifier/onnx-runtime'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { BASE_MODEL_ID } from '../../../src-main/classifier/features/base-model'
import { extractMissingFeatures } from '../../../src-main/classifier/features/extract-features'
import { FeatureExtractor } from '../../../src-main/classifier/features/feature-extractor'
import { onnxRuntimeChosen } from '../../../src-main/classifier/inference-engine'
import { OnnxFeatureExtractor } from '../../../src-main/classifier/features/onnx-feature-extractor'
import { preprocessForMobileNet } from '../../../src-main/classifier/features/mobilenet-preprocess'
import type { TransferRunResult } from '../../../src-main/classifier/transfer-info'
import { transferTrainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { hasPretrained, NO_PRETRAINED, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'
import { expectExportedOnnx, NO_PYTHON_ONNX } from '../../helpers/onnx-checker'
import { concat, loadExportedTfjs, maxAbsDiff, withProjectDbAsync } from './trained-run'

// ONNX Runtime as the feature engine of one-click fine-tuning, and the export of a mobilenetv2 run
// (backbone + pooling + head as one model). The base model is the shared pretrained MobileNetV2,
// used in place (nothing may be written beside it: the graph goes to the data folder's cache), or a
// randomly initialised one where the shared weights are absent (the export comparison then skips
// visibly).

let dir: string
let modelsDir: string
let cacheDir: string
/** The base model's folder as it was before anything ran (names, sizes, times). */
let modelsBefore: string[]
let projectPath: string
let runId: number
let result: TransferRunResult

const oneClick = (): TrainSettings => trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224 }) as TrainSettings

/** Differences relative to the features' scale: random weights give large activations, ImageNet ones ≤ 6. */
const relativeDiff = (a: Float32Array, b: Float32Array) => maxAbsDiff(a, b) / Math.max(1, ...Array.from(b, Math.abs))

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-onnx-features-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  cacheDir = join(dir, 'data', 'cache')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  modelsBefore = folderState(join(modelsDir, BASE_MODEL_ID))
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [5, 5], val: [2, 2], test: [2, 2] }))).projectPath
  const settings = oneClick()
  runId = queueRun(projectPath, settings)
  // Default settings (no backend forced): ONNX Runtime extracts the features.
  result = await transferTrainingJob({ projectPath, modelsDir, cacheDir, runId, settings, resume: false }, recordingContext())
}, 300_000)

/** Each file of a folder with its size and modification time. */
function folderState(folder: string): string[] {
  return readdirSync(folder).map((name) => {
    const stats = statSync(join(folder, name))
    return `${name} ${stats.size} ${stats.mtimeMs}`
  })
}

afterAll(() => removeTempDir(dir))

describe('feature extraction on ONNX Runtime', () => {
  it('is the default engine here, and the run notes and report say so', async () => {
    expect(await onnxRuntimeChosen()).toBe(true)
    expect(await onnxRuntimeChosen({ PICTOR_INFERENCE: 'tfjs' })).toBe(false)
    expect(result.transfer.extraction).toMatchObject({ computed: 18, engine: 'onnxruntime' })
    expect(result.notes.some((note) => /^features: 18 extracted with onnxruntime at [\d.]+ images\/s, 0 from the cache$/.test(note))).toBe(true)
    // The graph was built by this run (the cache folder did not exist before it) and kept in the
    // data folder's cache; the base model's folder is exactly as it was.
    expect(readdirSync(cacheDir).filter((name) => /^features-[0-9a-f]{16}\.onnx$/.test(name))).toHaveLength(1)
    expect(folderState(join(modelsDir, BASE_MODEL_ID))).toEqual(modelsBefore)
  })

  it('computes the features TF.js computes, to 1e-4, so both share the cache key', async () => {
    const examples = withProjectDb(projectPath, (db) => loadTrainingExamples(db).examples).slice(0, 4)
    const stored = withProjectDb(projectPath, (db) => getFeatures(db, result.transfer.baseModelVersion, examples.map((example) => example.contentHash!)))
    const extractor = await FeatureExtractor.load(modelsDir, { backend: 'wasm' })
    const tensorsBefore = tf.memory().numTensors
    const reference = await extractor.extract(await Promise.all(examples.map((example) => preprocessForMobileNet(example.path))))
    expect(tf.memory().numTensors).toBe(tensorsBefore)
    extractor.dispose()
    examples.forEach((example, index) => {
      const fromOnnx = stored.get(example.contentHash!)!
      expect(fromOnnx).toHaveLength(1280)
      expect(relativeDiff(fromOnnx, reference[index]!)).toBeLessThan(1e-4)
    })
  })

  it('rebuilds a damaged cached graph, and PICTOR_INFERENCE=tfjs falls back to TF.js', async () => {
    const cached = join(cacheDir, readdirSync(cacheDir).find((name) => name.endsWith('.onnx'))!)
    writeFileSync(cached, 'not an onnx file')
    const rebuilt = await OnnxFeatureExtractor.load(modelsDir, { threads: 1, cacheDir })
    expect(rebuilt.rebuilt).toBe(true)
    rebuilt.dispose()
    expect(readFileSync(cached).length).toBeGreaterThan(1_000_000)
    const again = await OnnxFeatureExtractor.load(modelsDir, { threads: 1, cacheDir })
    expect(again.rebuilt).toBe(false)
    again.dispose()

    const two = withProjectDb(projectPath, (db) => {
      const examples = loadTrainingExamples(db).examples.slice(0, 2)
      const forget = db.prepare('DELETE FROM image_features WHERE content_hash = ?')
      for (const example of examples) forget.run(example.contentHash)
      return examples
    })
    const previous = process.env.PICTOR_INFERENCE
    process.env.PICTOR_INFERENCE = 'tfjs'
    try {
      const report = await withProjectDbAsync(projectPath, (db) => extractMissingFeatures(db, two, { modelsDir, signal: new AbortController().signal }))
      expect(report).toMatchObject({ computed: 2, engine: 'tfjs-wasm' })
    } finally {
      if (previous === undefined) delete process.env.PICTOR_INFERENCE
      else process.env.PICTOR_INFERENCE = previous
    }
  })
})

describe('export of a mobilenetv2 run', () => {
  it("is the whole classifier, answering like the run's model in ONNX Runtime and TF.js", async (context) => {
    // A random backbone's probabilities are saturated noise: the comparison needs the real weights.
    if (!hasPretrained) return context.skip(NO_PRETRAINED)
    const out = join(dir, 'export')
    const exported = await withProjectDbAsync(projectPath, (db) => exportRun(db, { dir: out, formats: ['onnx', 'tfjs'] }, { modelsDir, pictorVersion: 'test' }))
    expect(exported.files).toContain('onnx/model.onnx')
    const metadata = JSON.parse(readFileSync(join(out, 'onnx', 'metadata.json'), 'utf8')) as ExportMetadata
    expect(metadata).toMatchObject({
      modelKind: 'mobilenetv2',
      input: { height: 224, width: 224, channels: 3 },
      preprocessing: { scale: 1 / 127.5, offset: -1, colorOrder: 'RGB' },
      baseModelVersion: result.transfer.baseModelVersion,
      labels: withProjectDb(projectPath, (db) => getRun(db, runId)!.classNames)
    })

    const paths = withProjectDb(projectPath, (db) => loadTrainingExamples(db).examples.filter((e) => e.split === 'test').map((e) => e.path))
    const classifier = await withProjectDbAsync(projectPath, (db) => loadRunClassifier(db, runId, { modelsDir, backend: 'wasm' }))
    try {
      const input = concat(await Promise.all(paths.map((path) => classifier.preprocess(path))))
      const shape = [paths.length, 224, 224, 3]
      const expected = tf.tidy(() => (classifier.model!.predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array)
      const session = await OnnxModel.create(readFileSync(join(out, 'onnx', 'model.onnx')))
      expect(maxAbsDiff(await session.run(input, shape), expected)).toBeLessThan(1e-4)
      await session.dispose()
      const reloaded = await loadExportedTfjs(join(out, 'tfjs', 'model.json'))
      const fromTfjs = tf.tidy(() => (reloaded.predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array)
      reloaded.dispose()
      expect(maxAbsDiff(fromTfjs, expected)).toBeLessThan(1e-4)
    } finally {
      classifier.dispose()
    }
    expect(existsSync(join(out, 'tfjs', 'group1-shard1of1.bin'))).toBe(true)
  })

  it('is an ONNX file the ONNX project’s checker accepts (full_check, strict shape inference)', async (ctx) => {
    // Validity does not need ImageNet knowledge: this runs on the random backbone where the real one is absent.
    if (NO_PYTHON_ONNX) return ctx.skip(NO_PYTHON_ONNX)
    const out = join(dir, 'export-checked')
    await withProjectDbAsync(projectPath, (db) => exportRun(db, { dir: out, formats: ['onnx'] }, { modelsDir, pictorVersion: 'test' }))
    const check = expectExportedOnnx(join(out, 'onnx'))
    expect(check.inputs[0]!.shape.slice(1)).toEqual([224, 224, 3])
  })
})
