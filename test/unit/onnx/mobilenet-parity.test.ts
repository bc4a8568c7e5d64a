import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readOnnxMetadata } from '../../../src-main/onnx/export-onnx'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { FeatureExtractor } from '../../../src-main/classifier/features/feature-extractor'
import { assembleClassifier } from '../../../src-main/classifier/features/assemble-classifier'
import { buildHead } from '../../../src-main/transfer/head-model'
import { preprocessForMobileNet } from '../../../src-main/classifier/features/mobilenet-preprocess'
import { hasPretrained, NO_PRETRAINED, SHARED_MODELS_DIR, sharedFile } from '../../helpers/mobilenet'
import { batchOf, compareEngines, opCounts, PARITY_TOLERANCE } from './parity'

// The pretrained MobileNetV2 from ../shared (skipped, visibly, where it is absent): backbone +
// pooling features, and backbone + a head trained a few steps on those features, give the same
// answers in ONNX Runtime as in tfjs on the shared test photos.

// sharp reads the JPEGs; the BMPs would need converting first, and three photos are plenty.
const PHOTOS = ['hot_dog.jpg', 'parrot.jpg', 'owl.jpg']
const CLASSES = 3
let extractor: FeatureExtractor | undefined
let photos: Float32Array[] = []

beforeAll(async () => {
  await activateBackend('wasm')
  if (!hasPretrained) return
  extractor = await FeatureExtractor.load(SHARED_MODELS_DIR)
  photos = await Promise.all(PHOTOS.map((name) => preprocessForMobileNet(sharedFile('test_images', name))))
})

afterAll(() => extractor?.dispose())

describe('MobileNetV2 → ONNX', () => {
  it('backbone + pooling: the same 1280 features as tfjs to 1e-4', async (ctx) => {
    if (!extractor) return ctx.skip(NO_PRETRAINED)
    const shape = [photos.length, 224, 224, 3]
    await extractor.extract([photos[0]!]) // the backend's first-call allocations stay out of the leak count
    const tensorsBefore = tf.memory().numTensors
    const result = await compareEngines(extractor.model, batchOf(photos), shape, { metadata: { baseModel: extractor.version } })
    expect(tf.memory().numTensors).toBe(tensorsBefore)
    expect(result.onnxShape).toEqual([photos.length, 1280])
    expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
    // The features are real (ReLU6 pooled, not all zero) and differ between photos.
    expect(Math.max(...result.onnx)).toBeGreaterThan(1)
    expect(result.onnx.slice(0, 1280)).not.toEqual(result.onnx.slice(1280, 2560))
    expect(readOnnxMetadata(result.bytes)).toEqual({ baseModel: extractor.version })
    const ops = opCounts(result.nodes)
    expect(ops).toMatchObject({ Transpose: 1, Conv: 52, Clip: 35, Add: 10, Pad: 4, GlobalAveragePool: 1 })
    expect(ops.BatchNormalization).toBeUndefined()

    // The numbers the export and inference reports quote (one 3-photo batch, this machine).
    const perImage = (ms: number) => (ms / photos.length).toFixed(1)
    const timings = await compareEngines(extractor.model, batchOf(photos), shape)
    console.log(
      `MobileNetV2 features: export ${result.exportMs.toFixed(0)} ms, ${(result.bytes.length / 1e6).toFixed(2)} MB; ` +
        `tfjs-${extractor.backend} ${perImage(timings.tfjsMs)} ms/image, onnxruntime ${perImage(timings.onnxMs)} ms/image; max |Δ| ${result.maxAbsDiff.toExponential(2)}`
    )
  })

  it('backbone + a trained head (assembleClassifier): the same probabilities as tfjs to 1e-4', async (ctx) => {
    if (!extractor) return ctx.skip(NO_PRETRAINED)
    const head = buildHead({ classes: CLASSES, dropout: 0.2, seed: 3 })
    const classifier = assembleClassifier(extractor.model, head)
    try {
      // A few steps on the photos' features, as a transfer run trains its head.
      const features = await extractor.extract(photos)
      head.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' })
      const xs = tf.tensor2d(batchOf(features), [features.length, 1280])
      const ys = tf.tensor2d(Float32Array.from({ length: CLASSES * CLASSES }, (_, index) => (index % (CLASSES + 1) === 0 ? 1 : 0)), [CLASSES, CLASSES])
      try {
        await head.fit(xs, ys, { epochs: 5, batchSize: 3, verbose: 0 })
      } finally {
        tf.dispose([xs, ys])
      }

      const tensorsBefore = tf.memory().numTensors
      const result = await compareEngines(classifier, batchOf(photos), [photos.length, 224, 224, 3], { metadata: { classes: '["hot dog","parrot","owl"]' } })
      expect(tf.memory().numTensors).toBe(tensorsBefore)
      expect(result.onnxShape).toEqual([photos.length, CLASSES])
      expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
      for (let image = 0; image < photos.length; image++) {
        const row = Array.from(result.onnx.slice(image * CLASSES, (image + 1) * CLASSES))
        expect(row.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5)
        // Trained on exactly these photos: each gets its own class.
        expect(row.indexOf(Math.max(...row))).toBe(image)
      }
      // The nested head is flattened into the one graph: its Dense is a Gemm, its Dropout nothing.
      const ops = opCounts(result.nodes)
      expect(ops.Gemm).toBe(1)
      expect(ops.Softmax).toBe(1)
    } finally {
      // The classifier shares the extractor's and the head's weights: dispose the head only.
      head.dispose()
    }
  })

  it('a head alone ([null, 1280] input, no transposes) matches tfjs', async () => {
    const head = buildHead({ classes: 4, dropout: 0.5, seed: 9 })
    try {
      const features = tf.tidy(() => tf.randomUniform([5, 1280], 0, 6, 'float32', 4).dataSync() as Float32Array)
      const result = await compareEngines(head, features, [5, 1280])
      expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
      expect(result.nodes.map((node) => node.opType)).toEqual(['Gemm', 'Softmax', 'Identity'])
    } finally {
      head.dispose()
    }
  })
})
