import { availableParallelism } from 'node:os'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainLoop, type Stepper, type TensorBatch } from '../../../src-main/training/loop/train-loop'
import { buildSeedCnn } from '../../../src-main/training/models/cnn'
import { ParallelStepper, weightedMean } from '../../../src-main/training/parallel/parallel-stepper'
import { shardSizes } from '../../../src-main/training/parallel/shard'
import { trainWorkerCount } from '../../../src-main/training/parallel/worker-count'
import { gradientWorkers } from '../../../src-main/workers/training-job'

// Data-parallel training against the plain local step: the same global batches, the same Adam steps,
// the same weights (up to float rounding), with the gradient workers' real threads.

const SIZE = 24
const CLASSES = 3

beforeAll(async () => {
  await activateBackend('wasm')
})

const cnn = (batchNorm = false) => buildSeedCnn({ height: SIZE, width: SIZE, channels: 3, classes: CLASSES, batchNorm, dropout: 0, seed: 7 })

/** Deterministic pseudo-random images, one-hot labels and (optionally) sample weights. */
function batch(rows: number, seed: number, weighted: boolean): TensorBatch {
  let state = seed >>> 0
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32
  const xs = Float32Array.from({ length: rows * SIZE * SIZE * 3 }, random)
  const labels = Array.from({ length: rows }, (_, row) => (row + seed) % CLASSES)
  return {
    xs: tf.tensor4d(xs, [rows, SIZE, SIZE, 3]),
    ys: tf.tensor2d(labels.flatMap((label) => Array.from({ length: CLASSES }, (_, k) => (k === label ? 1 : 0))), [rows, CLASSES]),
    ...(weighted ? { weights: tf.tensor1d(labels.map((label) => [0.5, 1, 2][label]!)) } : {}),
    size: rows
  }
}

/** Trains `model` for one epoch of global batches of the given sizes; returns its weights and the reported losses. */
async function train(model: tfl.LayersModel, sizes: number[], weighted: boolean, stepper?: Stepper) {
  const optimizer = tf.train.adam(0.01)
  const losses: number[] = []
  async function* batches() {
    for (const [index, rows] of sizes.entries()) yield batch(rows, index + 1, weighted)
  }
  await trainLoop({
    model,
    optimizer,
    epochs: 1,
    batchSize: sizes[0]!,
    batchesPerEpoch: sizes.length,
    trainBatches: batches,
    callbacks: [{ onBatchEnd: (logs) => void losses.push(logs.loss) }],
    ...(stepper ? { stepper } : {})
  })
  optimizer.dispose()
  const weights = model.getWeights().map((tensor) => Array.from(tensor.dataSync()))
  return { weights, losses }
}

function maxDifference(a: number[][], b: number[][]): number {
  return Math.max(...a.map((values, index) => Math.max(...values.map((value, i) => Math.abs(value - b[index]![i]!)))))
}

describe('data-parallel training', () => {
  it('cuts a batch into contiguous shards whose sizes differ by at most one, never empty', () => {
    expect(shardSizes(64, 2)).toEqual([32, 32])
    expect(shardSizes(11, 2)).toEqual([6, 5])
    expect(shardSizes(10, 3)).toEqual([4, 3, 3])
    expect(shardSizes(1, 4)).toEqual([1])
  })

  it('uses one worker per core unless PICTOR_TRAIN_WORKERS says otherwise', () => {
    expect(trainWorkerCount({})).toBe(availableParallelism())
    expect(trainWorkerCount({ PICTOR_TRAIN_WORKERS: '3' })).toBe(3)
    expect(() => trainWorkerCount({ PICTOR_TRAIN_WORKERS: '0' })).toThrow(RangeError)
  })

  it('weights each shard by its size', () => {
    const mean = weightedMean([Float32Array.of(1, 10), Float32Array.of(4, 40)], [{ count: 6 }, { count: 5 }], 11)
    expect(mean[0]).toBeCloseTo((6 * 1 + 5 * 4) / 11, 5)
    expect(mean[1]).toBeCloseTo((6 * 10 + 5 * 40) / 11, 5)
  })

  for (const coordinatorShard of [false, true]) {
    it(`matches single-thread Adam steps, uneven last batch and sample weights included${coordinatorShard ? ' (coordinator computes a shard)' : ''}`, async () => {
      // 5 steps: the last global batch (11) splits unevenly, 6 + 5 (or 4 + 4 + 3).
      const sizes = [16, 16, 16, 16, 11]
      const local = cnn()
      const initial = local.getWeights().map((tensor) => Array.from(tensor.dataSync()))
      const expected = await train(local, sizes, true)
      // Adam moves a weight by up to the learning rate (0.01) a step: the runs really trained.
      expect(maxDifference(expected.weights, initial)).toBeGreaterThan(0.02)
      local.dispose()
      const model = cnn()
      const stepper = await ParallelStepper.start(model, 'wasm', { ...gradientWorkers(2), coordinatorShard })
      try {
        const actual = await train(model, sizes, true, stepper.step)
        // Float rounding only (the shards' sums are added in another order): 1% of one step.
        expect(maxDifference(actual.weights, expected.weights)).toBeLessThan(1e-4)
        actual.losses.forEach((loss, index) => expect(loss).toBeCloseTo(expected.losses[index]!, 5))
      } finally {
        await stepper.dispose()
        model.dispose()
      }
    }, 60_000)
  }

  it('moves batch norm’s averages by the size-weighted mean of the shards’ own statistics', async () => {
    const rows = 11
    const input = batch(rows, 3, false)
    // What one device would hold after a training-mode pass over each shard alone (6 rows, then 5).
    const movingMean = (xs: tf.Tensor) => {
      const replica = cnn(true)
      tf.tidy(() => void replica.apply(xs, { training: true }))
      const values = replica.nonTrainableWeights.find((weight) => weight.name.includes('moving_mean'))!.read().dataSync()
      replica.dispose()
      return Array.from(values)
    }
    const first = movingMean(tf.slice(input.xs, [0, 0, 0, 0], [6, -1, -1, -1]))
    const second = movingMean(tf.slice(input.xs, [6, 0, 0, 0], [5, -1, -1, -1]))
    const model = cnn(true)
    const stepper = await ParallelStepper.start(model, 'wasm', gradientWorkers(2))
    try {
      await stepper.step(model, tf.train.adam(0.01), input)
      const actual = Array.from(model.nonTrainableWeights.find((weight) => weight.name.includes('moving_mean'))!.read().dataSync())
      actual.forEach((value, index) => expect(value).toBeCloseTo((6 * first[index]! + 5 * second[index]!) / rows, 5))
    } finally {
      tf.dispose([input.xs, input.ys])
      await stepper.dispose()
      model.dispose()
    }
  }, 60_000)

  it('rejects a step a worker fails on with the worker’s error, and steps again afterwards', async () => {
    const model = cnn()
    const optimizer = tf.train.adam(0.01)
    const stepper = await ParallelStepper.start(model, 'wasm', gradientWorkers(2))
    const good = batch(8, 1, false)
    // Labels for 3 rows of 4 images: the second shard's labels come up short in its worker.
    const broken = { ...batch(4, 2, false), ys: tf.zeros([3, CLASSES]) as tf.Tensor2D }
    try {
      await expect(stepper.step(model, optimizer, broken)).rejects.toThrow(/shape|size|values/i)
      await expect(stepper.step(model, optimizer, good)).resolves.toMatchObject({ loss: expect.any(Number) })
    } finally {
      tf.dispose([good.xs, good.ys, broken.xs, broken.ys])
      await stepper.dispose()
      model.dispose()
      optimizer.dispose()
    }
  }, 60_000)
})
