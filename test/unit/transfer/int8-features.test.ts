import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { pickCalibrationExamples } from '../../../src-main/classifier/features/calibrating-quantizer'
import { extractMissingFeatures } from '../../../src-main/classifier/features/extract-features'
import { DEFAULT_FEATURE_SPEC, type FeatureSpec } from '../../../src-main/classifier/features/feature-spec'
import { featureGraphPath, OnnxFeatureExtractor } from '../../../src-main/classifier/features/onnx-feature-extractor'
import { onnxRuntimeChosen } from '../../../src-main/classifier/inference-engine'
import { readOnnxMetadata } from '../../../src-main/onnx/export-onnx'
import { countFeatures } from '../../../src-main/db/queries/image-features'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { withProjectDb } from '../../helpers/import-project'
import { withProjectDbAsync } from '../export/trained-run'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'

// int8 features (issue 18) through the product path: extraction asked for an int8 spec with no
// quantizer builds one that calibrates on the images it was given, caches the int8 graph beside
// (not over) the float32 one, stores the features under their own key, and reuses the graph.

let dir: string
let modelsDir: string
let projectPath: string
const INT8: FeatureSpec = { ...DEFAULT_FEATURE_SPEC, precision: 'int8' }

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-int8-features-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [3, 3] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

describe('calibration images', () => {
  it('are one per content hash, at most the count asked, spread over the hash order whatever the input order', () => {
    const examples = Array.from({ length: 500 }, (_, i) => ({ path: `/images/${i}.jpg`, contentHash: `h${String(i % 400).padStart(3, '0')}` }))
    const picked = pickCalibrationExamples(examples)
    expect(picked).toHaveLength(200)
    expect(new Set(picked.map((example) => example.contentHash)).size).toBe(200)
    expect(picked[0]!.contentHash).toBe('h000')
    expect(picked[1]!.contentHash).toBe('h002')
    expect(pickCalibrationExamples([...examples].reverse()).map((example) => example.contentHash)).toEqual(picked.map((example) => example.contentHash))
    expect(pickCalibrationExamples([{ path: 'a', contentHash: null }, ...examples.slice(0, 3)])).toHaveLength(3)
  })
})

describe('int8 extraction on ONNX Runtime', () => {
  it('calibrates on the given images by itself, keeps graph and features apart from float32, and reuses its graph', async (ctx) => {
    if (!(await onnxRuntimeChosen())) return ctx.skip('ONNX Runtime (onnxruntime-node) is not installed')
    const cacheDir = join(dir, 'cache')
    const examples = withProjectDb(projectPath, (db) => loadTrainingExamples(db).examples)
    const extract = (spec: FeatureSpec) =>
      withProjectDbAsync(projectPath, (db) => extractMissingFeatures(db, examples, { modelsDir, cacheDir, signal: new AbortController().signal, spec }))
    const int8 = await extract(INT8)
    expect(int8).toMatchObject({ engine: 'onnxruntime', spec: INT8, computed: examples.length, cacheKey: `${int8.modelVersion}#224-pooled-int8` })
    const float = await extract(DEFAULT_FEATURE_SPEC)
    expect(float).toMatchObject({ computed: examples.length, cacheKey: int8.modelVersion })
    expect(withProjectDb(projectPath, (db) => [countFeatures(db, int8.cacheKey), countFeatures(db, float.cacheKey)])).toEqual([examples.length, examples.length])

    const int8Path = featureGraphPath(cacheDir, int8.modelVersion, INT8)
    const floatPath = featureGraphPath(cacheDir, int8.modelVersion)
    expect(int8Path).not.toBe(floatPath)
    expect(existsSync(int8Path) && existsSync(floatPath)).toBe(true)
    expect(readOnnxMetadata(readFileSync(int8Path)).pictor_feature_spec).toBe('224-pooled-int8')
    expect(readFileSync(int8Path).length / readFileSync(floatPath).length).toBeLessThan(0.35)

    // Loading again needs no quantizer: the cached graph is read, not rebuilt.
    const again = await OnnxFeatureExtractor.load(modelsDir, { cacheDir, spec: INT8 })
    try {
      expect(again.rebuilt).toBe(false)
      expect(again.cacheKey).toBe(int8.cacheKey)
    } finally {
      again.dispose()
    }
  }, 300_000)
})
