import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FeatureExtractor } from '../../../../src-main/classifier/features/feature-extractor'
import { activateBackend } from '../../../../src-main/tfjs/backend'
import { readTopWeights, type TopWeights } from '../../../../src-main/transfer/fine-tune/base-weights'
import { foldBatchNorm } from '../../../../src-main/transfer/fine-tune/fold-batch-norm'
import { fineTuneRate } from '../../../../src-main/transfer/fine-tune/fine-tune-rate'
import { mirrorHalf } from '../../../../src-main/transfer/fine-tune/mirror-batches'
import { buildTopModel, isTrainableLayer } from '../../../../src-main/transfer/fine-tune/top-model'
import { buildHead } from '../../../../src-main/transfer/head-model'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'

// Stage 2's model: batch norm folded into the conv before it computes what BN in inference mode
// computes, and blocks 14–16 + Conv_1 + pooling built from the base model's weights compute the
// backbone's own pooled features from its block-14 input.

let dir: string
let modelsDir: string
let top: TopWeights

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-top-model-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  top = await readTopWeights(modelsDir)
}, 60_000)

afterAll(() => removeTempDir(dir))

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((max, value, index) => Math.max(max, Math.abs(value - b[index]!)), 0)

/** Random values in [low, high), seeded. */
function uniform(count: number, low: number, high: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform([count], low, high, 'float32', seed).dataSync() as Float32Array)
}

describe('foldBatchNorm', () => {
  for (const depthwise of [false, true]) {
    it(`${depthwise ? 'a depthwise conv' : 'a conv'} with batch norm folded in equals conv + BN in inference mode to 1e-5`, () => {
      const channels = 12
      const kernelShape = depthwise ? [3, 3, channels, 1] : [1, 1, 8, channels]
      const kernel = uniform(kernelShape.reduce((a, b) => a * b, 1), -0.5, 0.5, 1)
      const bn = {
        gamma: uniform(channels, 0.5, 1.5, 2),
        beta: uniform(channels, -0.5, 0.5, 3),
        movingMean: uniform(channels, -0.3, 0.3, 4),
        movingVariance: uniform(channels, 0.2, 2, 5),
        epsilon: 1e-3
      }
      const inChannels = depthwise ? channels : 8
      const before = tf.memory().numTensors
      const input = tfl.input({ shape: [5, 5, inChannels] })
      const conv = depthwise
        ? tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false })
        : tfl.layers.conv2d({ filters: channels, kernelSize: 1, useBias: false })
      const norm = tfl.layers.batchNormalization({ epsilon: 1e-3 })
      const reference = tfl.model({ inputs: input, outputs: norm.apply(conv.apply(input)) as tfl.SymbolicTensor })
      // setWeights copies: the tensors handed over are the test's to release.
      tf.tidy(() => {
        conv.setWeights([tf.tensor(kernel, kernelShape)])
        norm.setWeights([bn.gamma, bn.beta, bn.movingMean, bn.movingVariance].map((values) => tf.tensor1d(values)))
      })
      const folded = foldBatchNorm(kernel, kernelShape, bn, depthwise)
      const single = depthwise
        ? tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: true, inputShape: [5, 5, inChannels] })
        : tfl.layers.conv2d({ filters: channels, kernelSize: 1, useBias: true, inputShape: [5, 5, inChannels] })
      const foldedModel = tfl.sequential({ layers: [single] })
      tf.tidy(() => single.setWeights([tf.tensor(folded.kernel, kernelShape), tf.tensor1d(folded.bias)]))
      const x = tf.randomNormal([4, 5, 5, inChannels], 0, 2, 'float32', 7)
      const expected = reference.predict(x) as tf.Tensor
      const actual = foldedModel.predict(x) as tf.Tensor
      expect(maxAbsDiff(actual.dataSync(), expected.dataSync())).toBeLessThan(1e-5)
      tf.dispose([x, expected, actual])
      reference.dispose()
      foldedModel.dispose()
      expect(tf.memory().numTensors).toBe(before)
    })
  }
})

describe('the top model', () => {
  it("computes the backbone's pooled features from its block-14 input, and holds the stage-1 head", async () => {
    const images = tf.tidy(() => tf.randomUniform([3, 224, 224, 3], -1, 1, 'float32', 11))
    const boundary = await FeatureExtractor.load(modelsDir, { backend: 'wasm', spec: { inputSize: 224, boundary: 'block_14_input', precision: 'float32' } })
    const pooled = await FeatureExtractor.load(modelsDir, { backend: 'wasm' })
    const head = buildHead({ classes: 3, dropout: 0.2, seed: 5 })
    const before = tf.memory().numTensors
    const model = buildTopModel({ spec: boundary.spec, base: top.weights, trainableBlocks: 2, classes: 3, dropout: 0.2, seed: 1, head })
    const upToPooling = tfl.model({ inputs: model.inputs, outputs: model.getLayer('global_average_pooling2d').output as tfl.SymbolicTensor })
    const activations = boundary.model.predict(images) as tf.Tensor
    const expected = pooled.model.predict(images) as tf.Tensor
    const actual = upToPooling.predict(activations) as tf.Tensor
    const scale = Math.max(1, ...Array.from(expected.dataSync(), Math.abs))
    expect(maxAbsDiff(actual.dataSync(), expected.dataSync()) / scale).toBeLessThan(1e-4)
    // The whole top model answers like backbone + pooling + the stage-1 head.
    const probabilities = model.predict(activations) as tf.Tensor
    const fromHead = head.predict(expected) as tf.Tensor
    expect(maxAbsDiff(probabilities.dataSync(), fromHead.dataSync())).toBeLessThan(1e-4)
    tf.dispose([activations, expected, actual, probabilities, fromHead])

    // Blocks 15 and 16, Conv_1 and the head train; block 14 stays frozen. No batch norm is left.
    const trainable = new Set(model.trainableWeights.map((weight) => weight.originalName.split('/')[0]))
    expect([...trainable].sort()).toEqual(
      ['Conv_1', 'block_15_depthwise', 'block_15_expand', 'block_15_project', 'block_16_depthwise', 'block_16_expand', 'block_16_project', 'head_predictions'].sort()
    )
    expect(model.layers.some((layer) => layer.getClassName() === 'BatchNormalization')).toBe(false)
    expect(model.inputs[0]!.shape).toEqual([null, 7, 7, 160])
    model.dispose()
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose(images)
    head.dispose()
    boundary.dispose()
    pooled.dispose()
  }, 60_000)

  it('names the trainable layers for 1, 2 and 3 blocks', () => {
    expect(isTrainableLayer('block_16_expand', 1)).toBe(true)
    expect(isTrainableLayer('block_15_expand', 1)).toBe(false)
    expect(isTrainableLayer('block_15_add', 2)).toBe(true)
    expect(isTrainableLayer('block_14_project', 3)).toBe(true)
    expect(isTrainableLayer('Conv_1', 1)).toBe(true)
  })
})

describe('fineTuneRate', () => {
  it('takes the setting, or 1e-4 up to 200 images, 1e-4·200/n above, at least 1e-5', () => {
    expect(fineTuneRate(3e-4, 50)).toEqual({ learningRate: 3e-4, chosen: false })
    expect(fineTuneRate(null, 16)).toEqual({ learningRate: 1e-4, chosen: true })
    expect(fineTuneRate(null, 1000)).toEqual({ learningRate: 2e-5, chosen: true })
    expect(fineTuneRate(null, 1800)).toEqual({ learningRate: 1.1e-5, chosen: true })
    expect(fineTuneRate(null, 50_000)).toEqual({ learningRate: 1e-5, chosen: true })
  })
})

describe('mirrorHalf', () => {
  it('mirrors about half of the rows left–right, the same way for the same seed and epoch, and leaks nothing', async () => {
    const rows = 64
    const values = uniform(rows * 2 * 3 * 4, -1, 1, 9)
    const once = async () => {
      const batches = async function* () {
        yield { xs: tf.tensor4d(values, [rows, 2, 3, 4]), ys: tf.zeros([rows, 2]) as tf.Tensor2D, size: rows }
      }
      const out: Float32Array[] = []
      for await (const batch of mirrorHalf(batches(), 1, 3)) {
        out.push(batch.xs.dataSync() as Float32Array)
        tf.dispose([batch.xs, batch.ys])
      }
      return out[0]!
    }
    const before = tf.memory().numTensors
    const first = await once()
    expect(tf.memory().numTensors).toBe(before)
    expect(await once()).toEqual(first)
    const original = tf.tensor4d(values, [rows, 2, 3, 4])
    const mirrored = tf.reverse(original, 2)
    const [a, b] = [original.dataSync(), mirrored.dataSync()]
    tf.dispose([original, mirrored])
    const size = 2 * 3 * 4
    let flipped = 0
    for (let row = 0; row < rows; row++) {
      const got = Array.from(first.subarray(row * size, (row + 1) * size))
      const isOriginal = maxAbsDiff(got, a.subarray(row * size, (row + 1) * size)) === 0
      const isMirrored = maxAbsDiff(got, b.subarray(row * size, (row + 1) * size)) === 0
      expect(isOriginal || isMirrored).toBe(true)
      if (!isOriginal) flipped++
    }
    expect(flipped).toBeGreaterThan(rows / 4)
    expect(flipped).toBeLessThan((rows * 3) / 4)
  })
})
