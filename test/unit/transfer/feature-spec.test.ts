import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { extractMissingFeatures } from '../../../src-main/classifier/features/extract-features'
import { FeatureExtractor } from '../../../src-main/classifier/features/feature-extractor'
import {
  DEFAULT_FEATURE_SPEC,
  baseVersionOfKey,
  featureCacheKey,
  featureLength,
  featureShape,
  type FeatureSpec
} from '../../../src-main/classifier/features/feature-spec'
import { preprocessForMobileNet } from '../../../src-main/classifier/features/mobilenet-preprocess'
import { OnnxFeatureExtractor } from '../../../src-main/classifier/features/onnx-feature-extractor'
import { onnxRuntimeChosen } from '../../../src-main/classifier/inference-engine'
import { countFeatures, getFeatures } from '../../../src-main/db/queries/image-features'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { withProjectDb } from '../../helpers/import-project'
import { withProjectDbAsync } from '../export/trained-run'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../helpers/training-project'

// What the frozen part of MobileNetV2 computes is one FeatureSpec (issue 18): input size, boundary,
// precision. The default keeps the cache key every earlier run used; any other spec gets its own key,
// its own graph, and features of its own shape, the same from TF.js and from ONNX Runtime.

let dir: string
let modelsDir: string
let projectPath: string

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-feature-spec-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [3, 3] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

const spec = (overrides: Partial<FeatureSpec>): FeatureSpec => ({ ...DEFAULT_FEATURE_SPEC, ...overrides })

describe('FeatureSpec', () => {
  it('gives each boundary its shape at every offered size', () => {
    expect(featureShape(DEFAULT_FEATURE_SPEC)).toEqual([1280])
    expect(featureShape(spec({ boundary: 'block_14_input' }))).toEqual([7, 7, 160])
    expect(featureShape(spec({ inputSize: 96, boundary: 'block_14_input' }))).toEqual([3, 3, 160])
    expect(featureShape(spec({ inputSize: 160, boundary: 'block_14_input' }))).toEqual([5, 5, 160])
    expect(featureLength(spec({ boundary: 'block_14_input' }))).toBe(7840)
  })

  it('keys the default spec by the base model version alone, so caches from before stay valid, and every other spec apart', () => {
    const version = 'mobilenet_v2_1.0_224_no_top@sha256:ab'
    expect(featureCacheKey(version, DEFAULT_FEATURE_SPEC)).toBe(version)
    const keys = [spec({ inputSize: 96 }), spec({ boundary: 'block_14_input' }), spec({ precision: 'int8' })].map((other) => featureCacheKey(version, other))
    expect(keys).toEqual([`${version}#96-pooled-float32`, `${version}#224-block_14_input-float32`, `${version}#224-pooled-int8`])
    expect(keys.map(baseVersionOfKey)).toEqual([version, version, version])
  })
})

describe('extraction at another size and boundary', () => {
  it('TF.js gives block 13’s maps at 96 px and the pooled vector at 128 px, without leaking tensors', async () => {
    const images = withProjectDb(projectPath, (db) => loadTrainingExamples(db).examples).slice(0, 2)
    for (const [size, boundary, shape] of [
      [96, 'block_14_input', [null, 3, 3, 160]],
      [128, 'pooled', [null, 1280]]
    ] as const) {
      const before = tf.memory().numTensors
      const extractor = await FeatureExtractor.load(modelsDir, { spec: spec({ inputSize: size, boundary }) })
      expect(extractor.model.outputs[0]!.shape).toEqual(shape)
      const features = await extractor.extract(await Promise.all(images.map((image) => preprocessForMobileNet(image.path, size))))
      expect(features.map((values) => values.length)).toEqual([featureLength(extractor.spec), featureLength(extractor.spec)])
      expect(features.every((values) => values.every(Number.isFinite))).toBe(true)
      extractor.dispose()
      expect(tf.memory().numTensors).toBe(before)
    }
  }, 120_000)

  it('ONNX Runtime computes the same block-13 maps as TF.js, and the cache keeps them under their own key', async (ctx) => {
    if (!(await onnxRuntimeChosen())) return ctx.skip('ONNX Runtime (onnxruntime-node) is not installed')
    const boundary = spec({ inputSize: 160, boundary: 'block_14_input' })
    const examples = withProjectDb(projectPath, (db) => loadTrainingExamples(db).examples)
    const report = await withProjectDbAsync(projectPath, (db) =>
      extractMissingFeatures(db, examples, { modelsDir, cacheDir: join(dir, 'cache'), signal: new AbortController().signal, spec: boundary })
    )
    expect(report).toMatchObject({ engine: 'onnxruntime', spec: boundary, computed: examples.length, cacheKey: `${report.modelVersion}#160-block_14_input-float32` })
    const stored = withProjectDb(projectPath, (db) => ({
      all: countFeatures(db),
      default: countFeatures(db, report.modelVersion),
      features: getFeatures(db, report.cacheKey, examples.map((example) => example.contentHash!))
    }))
    expect(stored.default).toBe(0)
    expect(stored.all).toBe(examples.length)
    const tfjs = await FeatureExtractor.load(modelsDir, { spec: boundary })
    const onnx = await OnnxFeatureExtractor.load(modelsDir, { cacheDir: join(dir, 'cache'), spec: boundary })
    try {
      expect(onnx.rebuilt).toBe(false)
      const pixels = await preprocessForMobileNet(examples[0]!.path, 160)
      const [fromTfjs] = await tfjs.extract([pixels])
      const cached = stored.features.get(examples[0]!.contentHash!)!
      expect(cached.length).toBe(5 * 5 * 160)
      const scale = Math.max(...fromTfjs!.map(Math.abs))
      const worst = Math.max(...cached.map((value, index) => Math.abs(value - fromTfjs![index]!)))
      expect(worst / scale).toBeLessThan(1e-4)
    } finally {
      tfjs.dispose()
      onnx.dispose()
    }
  }, 180_000)
})
