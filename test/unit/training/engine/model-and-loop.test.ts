import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../../src-main/tfjs/backend'
import { crossEntropy } from '../../../../src-main/training/loop/metrics'
import { evaluate, trainLoop } from '../../../../src-main/training/loop/train-loop'
import { buildSeedCnn, type CnnOptions } from '../../../../src-main/training/models/cnn'
import { batchCount, batchesOf, separableData } from './synthetic'

// The seed's CNN layer for layer, and the plain training loop on real tensors on the wasm backend:
// it learns, weights the loss per sample, leaks no tensors and stops clearly on a NaN loss.

beforeAll(async () => {
  expect((await activateBackend('wasm')).name).toBe('wasm')
})

const owned: { dispose(): unknown }[] = []
afterEach(() => {
  for (const item of owned.splice(0)) item.dispose()
})

function cnn(options: Partial<CnnOptions> = {}): tfl.LayersModel {
  const model = buildSeedCnn({ height: 20, width: 20, channels: 3, classes: 2, ...options })
  owned.push(model)
  return model
}

/** [class name, the few config fields that define the layer] for every layer. */
function layerSequence(model: tfl.LayersModel): [string, Record<string, unknown>][] {
  return model.layers.map((layer) => {
    const config = layer.getConfig()
    const pick = (...keys: string[]) => Object.fromEntries(keys.map((key) => [key, config[key]]))
    const name = layer.getClassName()
    if (name === 'Conv2D') return [name, pick('filters', 'kernelSize', 'strides', 'padding', 'activation', 'useBias')]
    if (name === 'MaxPooling2D') return [name, pick('poolSize', 'strides')]
    if (name === 'Dense') return [name, pick('units', 'activation')]
    if (name === 'Dropout') return [name, pick('rate')]
    return [name, {}]
  })
}

const conv = (filters: number, activation: string, useBias = true) =>
  ['Conv2D', { filters, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', activation, useBias }] as const
const pool = ['MaxPooling2D', { poolSize: [2, 2], strides: [2, 2] }] as const
const dense = (units: number, activation: string) => ['Dense', { units, activation }] as const

describe('buildSeedCnn', () => {
  it('is Conv32-Pool-Conv64-Pool-Conv64-Flatten-Dense64-Dense(classes), as in the seed', () => {
    expect(layerSequence(cnn({ classes: 5 }))).toEqual([
      conv(32, 'relu'),
      pool,
      conv(64, 'relu'),
      pool,
      conv(64, 'relu'),
      ['Flatten', {}],
      dense(64, 'relu'),
      dense(5, 'softmax')
    ])
  })

  it('puts BatchNorm and ReLU after each bias-free conv, and dropout before the classifier', () => {
    const bn = (filters: number) => [conv(filters, 'linear', false), ['BatchNormalization', {}], ['ReLU', {}]]
    expect(layerSequence(cnn({ batchNorm: true, dropout: 0.3 }))).toEqual([
      ...bn(32),
      pool,
      ...bn(64),
      pool,
      ...bn(64),
      ['Flatten', {}],
      dense(64, 'relu'),
      ['Dropout', { rate: 0.3 }],
      dense(2, 'softmax')
    ])
    expect(layerSequence(cnn({ dropout: 0 })).map(([name]) => name)).not.toContain('Dropout')
  })

  it.each([
    // [height, width, channels, flattened features]: 3×3 valid convs and 2×2 pools shrink the map.
    [18, 18, 1, 1 * 1 * 64],
    [24, 24, 3, 2 * 2 * 64],
    [32, 20, 3, 4 * 1 * 64],
    [64, 64, 1, 12 * 12 * 64]
  ])('takes %i×%i×%i inputs (%i features after Flatten)', (height, width, channels, features) => {
    const model = cnn({ height, width, channels: channels as 1 | 3, classes: 3 })
    expect(model.inputs[0]!.shape).toEqual([null, height, width, channels])
    expect(model.layers.find((layer) => layer.getClassName() === 'Flatten')!.outputShape).toEqual([null, features])
    expect(model.outputs[0]!.shape).toEqual([null, 3])
    const probabilities = tf.tidy(() => tf.sum(model.predict(tf.ones([2, height, width, channels])) as tf.Tensor, -1).dataSync())
    expect([...probabilities].map((sum) => Math.round(sum * 1e5) / 1e5)).toEqual([1, 1])
  })

  it('refuses images smaller than 18 px on either side', () => {
    expect(() => buildSeedCnn({ height: 17, width: 32, channels: 3, classes: 2 })).toThrow(/at least 18×18/)
    expect(() => buildSeedCnn({ height: 32, width: 17, channels: 1, classes: 2 })).toThrow(/at least 18×18/)
  })

  it('gives the same initial weights for the same seed and different ones for another', () => {
    const first = (seed: number) => cnn({ seed }).weights[0]!.read().dataSync().slice(0, 8)
    expect(first(3)).toEqual(first(3))
    expect(first(3)).not.toEqual(first(4))
  })
})

describe('crossEntropy', () => {
  it('matches a hand-computed mean, with and without per-sample weights', () => {
    const probabilities = tf.tensor2d([[0.8, 0.2], [0.4, 0.6], [0, 1]])
    const labels = tf.tensor2d([[1, 0], [1, 0], [0, 1]])
    const weights = tf.tensor1d([2, 0.5, 3])
    owned.push(probabilities, labels, weights)
    // -ln(0.8), -ln(0.4) and -ln(1 - 1e-7) (probabilities are clipped to [1e-7, 1 - 1e-7]).
    const perSample = [-Math.log(0.8), -Math.log(0.4), -Math.log(1 - 1e-7)]
    const plain = crossEntropy(probabilities, labels)
    const weighted = crossEntropy(probabilities, labels, weights)
    expect(plain.dataSync()[0]).toBeCloseTo((perSample[0]! + perSample[1]! + perSample[2]!) / 3, 5)
    expect(weighted.dataSync()[0]).toBeCloseTo((2 * perSample[0]! + 0.5 * perSample[1]! + 3 * perSample[2]!) / 3, 5)
    // A probability of 0 for the true class is clipped, not infinite.
    const zero = crossEntropy(tf.tensor2d([[0, 1]]), tf.tensor2d([[1, 0]]))
    expect(zero.dataSync()[0]).toBeCloseTo(-Math.log(1e-7), 3)
    tf.dispose([plain, weighted, zero])
  })
})

describe('trainLoop', () => {
  it('lowers the loss and raises the accuracy over a few epochs on a separable problem', async () => {
    const data = separableData(48, { seed: 11 })
    const model = cnn({ seed: 5 })
    const optimizer = tf.train.adam(0.001)
    owned.push(optimizer)
    const result = await trainLoop({
      model,
      optimizer,
      epochs: 4,
      batchSize: 8,
      batchesPerEpoch: batchCount(data, 8),
      trainBatches: batchesOf(data, 8),
      validate: () => evaluate(model, batchesOf(separableData(16, { seed: 99 }), 8)()),
      callbacks: []
    })
    expect(result).toMatchObject({ epochsRun: 4, stopReason: null })
    expect(result.history.map((epoch) => epoch.epoch)).toEqual([0, 1, 2, 3])
    const [first, last] = [result.history[0]!, result.history.at(-1)!]
    expect(last.loss).toBeLessThan(first.loss * 0.5)
    expect(last.accuracy).toBeGreaterThan(first.accuracy)
    expect(last.accuracy).toBeGreaterThanOrEqual(0.95)
    expect(last.valAccuracy).toBeGreaterThanOrEqual(0.9)
    expect(last.valLoss).toBeLessThan(first.valLoss!)
    for (const epoch of result.history) expect(epoch).toMatchObject({ batchSize: 8, imagesPerSecond: expect.any(Number) })
  })

  it('scales each sample’s loss by its weight (same model and batch, weights 2 vs none)', async () => {
    const data = separableData(8, { seed: 3 })
    const firstLoss = async (weights?: (row: number) => number) => {
      const optimizer = tf.train.sgd(0.01)
      owned.push(optimizer)
      const losses: number[] = []
      await trainLoop({
        model: cnn({ seed: 9 }),
        optimizer,
        epochs: 1,
        batchSize: 8,
        batchesPerEpoch: 1,
        trainBatches: batchesOf(data, 8, weights),
        callbacks: [{ onBatchEnd: (logs) => void losses.push(logs.loss) }]
      })
      return losses[0]!
    }
    const plain = await firstLoss()
    expect(await firstLoss(() => 2)).toBeCloseTo(2 * plain, 4)
    // Weight only the class-1 rows (odd rows): the loss is their share, tripled.
    const classOne = await firstLoss((row) => (row % 2 === 1 ? 3 : 0))
    const classZero = await firstLoss((row) => (row % 2 === 0 ? 1 : 0))
    expect(classOne / 3 + classZero).toBeCloseTo(plain, 4)
  })

  it('leaves no tensors behind after training and evaluating (only the optimizer’s slots remain)', async () => {
    const data = separableData(20, { seed: 21 })
    const run = async (epochs: number) => {
      const model = buildSeedCnn({ height: 20, width: 20, channels: 3, classes: 2, batchNorm: true, dropout: 0.2 })
      const optimizer = tf.train.adam(0.001)
      const afterCreation = tf.memory().numTensors
      await trainLoop({
        model,
        optimizer,
        epochs,
        batchSize: 8,
        batchesPerEpoch: batchCount(data, 8),
        trainBatches: batchesOf(data, 8, () => 1),
        validate: () => evaluate(model, batchesOf(data, 8)()),
        callbacks: []
      })
      await evaluate(model, batchesOf(data, 8)())
      // Adam adds a first and a second moment for each trainable weight on its first step.
      expect(tf.memory().numTensors).toBe(afterCreation + 2 * model.trainableWeights.length)
      model.dispose()
      optimizer.dispose()
    }
    await run(1) // first use may create lasting helpers inside tfjs (kernels, constants)
    const before = tf.memory().numTensors
    await run(2)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('stops with a clear message when the loss turns NaN, without leaking the batch', async () => {
    const data = separableData(8, { seed: 4 })
    const model = cnn()
    const optimizer = tf.train.sgd(0.01)
    owned.push(optimizer)
    const before = tf.memory().numTensors
    const seen: number[] = []
    await expect(
      trainLoop({
        model,
        optimizer,
        epochs: 2,
        batchSize: 8,
        batchesPerEpoch: 1,
        // One NaN sample weight makes the batch's mean loss NaN.
        trainBatches: batchesOf(data, 8, (row) => (row === 3 ? Number.NaN : 1)),
        callbacks: [{ onBatchEnd: (logs) => void seen.push(logs.loss), onEpochEnd: () => void seen.push(-1) }]
      })
    ).rejects.toThrow('the loss became NaN or infinite: lower the learning rate')
    expect(seen).toEqual([])
    expect(tf.memory().numTensors).toBe(before)
  })

  // Regression test for a fixed bug: on the wasm backend a diverged model is not caught. XNNPACK's conv and max-pool turn NaN
  // into -Infinity/0 (conv2d of [NaN] gives -Infinity, maxPool of [NaN, 1, 2, 3] gives -Infinity),
  // so with NaN/Infinite weights the softmax output stays finite, the clipped loss saturates at
  // 16.118 and the run "succeeds" with tens of thousands of non-finite weights; the cpu backend
  // throws the "lower the learning rate" error for the same run. The guard should also check the
  // weights (or gradients) for non-finite values, not only the loss.
  it('reports the NaN error when a huge learning rate blows the weights up', async () => {
    const data = separableData(32, { seed: 4 })
    const model = cnn()
    const optimizer = tf.train.sgd(1e9)
    owned.push(optimizer)
    const run = trainLoop({ model, optimizer, epochs: 3, batchSize: 8, batchesPerEpoch: 4, trainBatches: batchesOf(data, 8), callbacks: [] })
    await expect(run).rejects.toThrow(/lower the learning rate/)
  })
})
