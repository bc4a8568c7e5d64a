import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { readOnnxMetadata } from '../../../src-main/onnx/export-onnx'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { decodeExample } from '../../../src-main/classifier/decode'
import { buildSeedCnn } from '../../../src-main/training/models/cnn'
import { writeImage } from '../../helpers/image-fixtures'
import { useTempDir } from '../../helpers/temp-dir'
import { batchOf, compareEngines, opCounts, PARITY_TOLERANCE } from './parity'

// The seed CNN, trained a few steps on real JPEGs decoded by sharp (so weights, batch-norm
// gammas/betas and moving statistics are all away from their initial values), gives the same
// probabilities in ONNX Runtime as in tfjs, for every variant a run can produce.

const tempDir = useTempDir('pictor-onnx-cnn-')
const CLASSES = 3
const IMAGES = 12

beforeAll(async () => {
  await activateBackend('wasm')
})

/** Pixels as the CNN's data layer scales them: byte / 255, NHWC. */
async function decodedImages(folder: string, height: number, width: number, channels: 1 | 3): Promise<Float32Array[]> {
  const images: Float32Array[] = []
  for (let index = 0; index < IMAGES; index++) {
    const path = await writeImage(folder, `class${index % CLASSES}/${index}.jpg`, 'jpeg', { width: 40 + index, height: 36, seed: index + 1 })
    const pixels = await decodeExample(path, { height, width, channels })
    images.push(Float32Array.from(pixels, (value) => value / 255))
  }
  return images
}

async function trainFewSteps(model: tfl.LayersModel, images: Float32Array[], shape: number[]): Promise<void> {
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' })
  const xs = tf.tensor4d(batchOf(images), [images.length, ...shape] as [number, number, number, number])
  const oneHot = new Float32Array(images.length * CLASSES)
  images.forEach((_, index) => (oneHot[index * CLASSES + (index % CLASSES)] = 1))
  const ys = tf.tensor2d(oneHot, [images.length, CLASSES])
  try {
    await model.fit(xs, ys, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 })
  } finally {
    tf.dispose([xs, ys])
  }
}

const VARIANTS = [
  { height: 28, width: 28, channels: 1, batchNorm: true, dropout: 0 },
  { height: 32, width: 32, channels: 3, batchNorm: true, dropout: 0.3 },
  { height: 28, width: 28, channels: 3, batchNorm: false, dropout: 0.5 },
  { height: 32, width: 29, channels: 1, batchNorm: false, dropout: 0 }
] as const

describe('seed CNN → ONNX', () => {
  for (const variant of VARIANTS) {
    const title = `${variant.height}×${variant.width}×${variant.channels}, batchNorm ${variant.batchNorm}, dropout ${variant.dropout}`
    it(`${title}: ONNX Runtime and tfjs agree on the probabilities to 1e-4`, async () => {
      const { height, width, channels } = variant
      const model = buildSeedCnn({ ...variant, classes: CLASSES, seed: 5 })
      try {
        const images = await decodedImages(tempDir(), height, width, channels)
        await trainFewSteps(model, images, [height, width, channels])
        if (variant.batchNorm) {
          // Training moved the moving statistics off their initial 0 / 1.
          const bn = model.layers.find((layer) => layer.getClassName() === 'BatchNormalization')!
          const [mean, variance] = ['moving_mean', 'moving_variance'].map((key) => bn.weights.find((w) => w.originalName.endsWith(key))!.read().dataSync())
          expect(Math.max(...Array.from(mean!, Math.abs))).toBeGreaterThan(1e-3)
          expect(Math.max(...Array.from(variance!, (value) => Math.abs(value - 1)))).toBeGreaterThan(1e-3)
        }

        const tensorsBefore = tf.memory().numTensors
        const result = await compareEngines(model, batchOf(images), [IMAGES, height, width, channels], {
          metadata: { classes: JSON.stringify(['a', 'b', 'c']), inputShape: `${height},${width},${channels}` }
        })
        expect(tf.memory().numTensors).toBe(tensorsBefore)
        expect(result.onnxShape).toEqual([IMAGES, CLASSES])
        expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
        // Probabilities, and not all the same answer (the comparison would be too easy otherwise).
        for (let image = 0; image < IMAGES; image++) {
          const sum = result.onnx.slice(image * CLASSES, (image + 1) * CLASSES).reduce((total, value) => total + value, 0)
          expect(sum).toBeCloseTo(1, 5)
        }
        expect(new Set(Array.from(result.onnx, (value) => value.toFixed(3))).size).toBeGreaterThan(CLASSES)

        const ops = opCounts(result.nodes)
        // One transpose at the input, one before Flatten (Keras H, W, C order); batch norm folded away.
        expect(ops.Transpose).toBe(2)
        expect(ops.Conv).toBe(3)
        expect(ops.BatchNormalization).toBeUndefined()
        expect(ops.Gemm).toBe(2)
        expect(readOnnxMetadata(result.bytes)).toEqual({ classes: '["a","b","c"]', inputShape: `${height},${width},${channels}` })
      } finally {
        model.dispose()
      }
    })
  }
})
