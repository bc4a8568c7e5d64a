import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { EpochMetrics } from '../../../../src-main/contract/types'
import type { StoredCheckpoint } from '../../../../src-main/db/queries/run-models'
import type { ProgressUpdate } from '../../../../src-main/jobs/job'
import { activateBackend } from '../../../../src-main/tfjs/backend'
import type { LoopState } from '../../../../src-main/training/callbacks/callback'
import { CancelOnSignal } from '../../../../src-main/training/callbacks/cancel-on-signal'
import { Checkpoint } from '../../../../src-main/training/callbacks/checkpoint'
import { EarlyStopping } from '../../../../src-main/training/callbacks/early-stopping'
import { ProgressReporter } from '../../../../src-main/training/callbacks/progress'
import { trainLoop, type TensorBatch } from '../../../../src-main/training/loop/train-loop'
import { buildSeedCnn } from '../../../../src-main/training/models/cnn'
import { decodeNamed, modelWeights } from '../../../../src-main/tfjs/model-serialization'
import { batchCount, batchesOf, fillWeights, separableData, weightValues } from './synthetic'

// Each callback on its own: early stopping fed a scripted metric sequence while the model's weights
// are changed between epochs, and the others inside a real trainLoop on the wasm backend.

beforeAll(async () => {
  await activateBackend('wasm')
})

const owned: { dispose(): unknown }[] = []
afterEach(() => {
  for (const item of owned.splice(0)) item.dispose()
})

function model(): tfl.LayersModel {
  const built = buildSeedCnn({ height: 18, width: 18, channels: 1, classes: 2 })
  owned.push(built)
  return built
}

const metrics = (epoch: number, valLoss: number | null, valAccuracy: number | null = null): EpochMetrics => ({
  epoch,
  loss: 1,
  accuracy: 0.5,
  valLoss,
  valAccuracy,
  imagesPerSecond: 100,
  seconds: 1,
  batchSize: 8
})

/** Feeds `values` as epochs `first…`, setting every weight to `epoch + 1` before each; answers the epochs that ran. */
function feed(stopping: EarlyStopping, state: LoopState, values: (number | null)[], first = 0): number[] {
  const ran: number[] = []
  for (const [index, value] of values.entries()) {
    if (state.stopTraining) break
    const epoch = first + index
    fillWeights(state.model, epoch + 1)
    stopping.onEpochEnd(metrics(epoch, value), state)
    ran.push(epoch)
  }
  return ran
}

const allEqual = (model: tfl.LayersModel, value: number) => weightValues(model).every((values) => values.every((v) => v === value))

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement and restores the best epoch’s weights', () => {
    const state: LoopState = { model: model(), stopTraining: false, stopReason: null }
    const stopping = new EarlyStopping({ patience: 3, restoreBestWeights: true })
    const before = tf.memory().numTensors
    // Best at epoch 1 (0.8); 0.85 is not an improvement; a missing value is ignored.
    const ran = feed(stopping, state, [1.0, 0.8, 0.9, null, 0.85, 0.95, 0.1, 0.1])
    expect(ran).toEqual([0, 1, 2, 3, 4, 5])
    expect(state).toMatchObject({ stopTraining: true, stopReason: 'no improvement in valLoss for 3 epochs' })
    expect(stopping.bestEpoch).toBe(1)
    expect(stopping.state).toEqual({ best: 0.8, bestEpoch: 1, wait: 3 })
    expect(allEqual(state.model, 6)).toBe(true)
    stopping.onTrainEnd(state)
    // Epoch 1's weights were all 2.
    expect(allEqual(state.model, 2)).toBe(true)
    // The kept copy is gone again.
    expect(tf.memory().numTensors).toBe(before)
  })

  it('does not stop while the metric keeps improving by more than minDelta, and watches accuracy when asked', () => {
    const state: LoopState = { model: model(), stopTraining: false, stopReason: null }
    const stopping = new EarlyStopping({ patience: 2, monitor: 'valAccuracy', minDelta: 0.05 })
    const accuracies = [0.5, 0.6, 0.7, 0.72, 0.74, 0.9]
    const ran: number[] = []
    for (const [epoch, accuracy] of accuracies.entries()) {
      if (state.stopTraining) break
      stopping.onEpochEnd(metrics(epoch, 9, accuracy), state)
      ran.push(epoch)
    }
    // 0.6 and 0.7 improve by more than 0.05; 0.72 and 0.74 do not: two epochs without improvement.
    expect(ran).toEqual([0, 1, 2, 3, 4])
    expect(state).toMatchObject({ stopTraining: true, stopReason: 'no improvement in valAccuracy for 2 epochs' })
    expect(stopping.state).toEqual({ best: 0.7, bestEpoch: 2, wait: 2 })
  })

  it('round-trips its state: a restored copy keeps counting and keeps the weights on hand as best', () => {
    const first: LoopState = { model: model(), stopTraining: false, stopReason: null }
    const original = new EarlyStopping({ patience: 3, restoreBestWeights: true })
    feed(original, first, [1.0, 0.8, 0.9])
    const saved = JSON.parse(JSON.stringify(original.state)) as EarlyStopping['state']
    expect(saved).toEqual({ best: 0.8, bestEpoch: 1, wait: 1 })
    original.onTrainEnd(first)

    // A resumed run: a new model holding the checkpoint's weights (all 3, epoch 2's).
    const resumed: LoopState = { model: model(), stopTraining: false, stopReason: null }
    fillWeights(resumed.model, 3)
    const restored = new EarlyStopping({ patience: 3, restoreBestWeights: true })
    restored.restore(saved, resumed.model)
    expect(restored.state).toEqual(saved)
    expect(restored.bestEpoch).toBe(1)
    const ran = feed(restored, resumed, [0.95, 0.97, 0.5], 3)
    // Two more epochs without improvement make three in all: it stops after epoch 4, not 5.
    expect(ran).toEqual([3, 4])
    expect(resumed.stopTraining).toBe(true)
    restored.onTrainEnd(resumed)
    expect(allEqual(resumed.model, 3)).toBe(true)
  })
})

/** A real loop over synthetic batches, counting the batches the source handed out. */
async function loop(callbacks: Parameters<typeof trainLoop>[0]['callbacks'], options: { epochs?: number; count?: number; optimizer?: tf.Optimizer } = {}) {
  const data = separableData(options.count ?? 24, { size: 18, channels: 1 })
  const source = batchesOf(data, 8)
  let pulled = 0
  let closed = 0
  const counted = async function* (): AsyncGenerator<TensorBatch> {
    try {
      for await (const batch of source()) {
        pulled++
        yield batch
      }
    } finally {
      closed++
    }
  }
  const optimizer = options.optimizer ?? tf.train.sgd(0.01)
  owned.push(optimizer)
  const trained = model()
  const result = await trainLoop({
    model: trained,
    optimizer,
    epochs: options.epochs ?? 2,
    batchSize: 8,
    batchesPerEpoch: batchCount(data, 8),
    trainBatches: counted,
    callbacks
  })
  return { result, pulled: () => pulled, closed: () => closed, model: trained, optimizer }
}

describe('CancelOnSignal', () => {
  it('stops at the end of the batch during which the signal fired, without recording the epoch', async () => {
    const controller = new AbortController()
    const epochEnds: number[] = []
    let batchesEnded = 0
    const run = await loop(
      [
        new CancelOnSignal(controller.signal),
        {
          onBatchEnd: () => {
            batchesEnded++
            // Fires after the cancel check of batch 2 (of 3) in epoch 0: seen at batch 3's end.
            if (batchesEnded === 2) controller.abort()
          },
          onEpochEnd: (metrics) => void epochEnds.push(metrics.epoch)
        }
      ],
      { epochs: 3, count: 40 }
    )
    expect(run.result).toEqual({ epochsRun: 0, history: [], stopReason: 'cancelled' })
    expect(batchesEnded).toBe(3)
    expect(run.pulled()).toBe(3)
    expect(run.closed()).toBe(1)
    expect(epochEnds).toEqual([])
  })
})

describe('ProgressReporter', () => {
  it('reports every batch and an important epoch end carrying the epoch’s metrics', async () => {
    const updates: ProgressUpdate[] = []
    const reporter = new ProgressReporter(7, 2, 'wasm', (update) => updates.push(update))
    const run = await loop([reporter], { epochs: 2, count: 24 })
    expect(updates).toHaveLength(2 * 3 + 2)
    const batches = updates.filter((update) => !update.important)
    const ends = updates.filter((update) => update.important)
    expect(batches.map((update) => [update.detail!.epoch, update.detail!.batch, update.done, update.total])).toEqual([
      [0, 1, 1, 6], [0, 2, 2, 6], [0, 3, 3, 6], [1, 1, 4, 6], [1, 2, 5, 6], [1, 3, 6, 6]
    ])
    for (const update of batches) {
      expect(update.detail).toMatchObject({ runId: 7, epochs: 2, batchesPerEpoch: 3, backend: 'wasm', epochMetrics: null, notice: null })
      expect(update.message).toMatch(/^Epoch [12]\/2 · batch [123]\/3 · loss \d+\.\d{3}$/)
    }
    expect(batches.at(-1)!.detail!.imagesPerSecond).toBeGreaterThan(0)
    expect(ends.map((update) => update.detail!.epochMetrics)).toEqual(run.result.history)
    expect(ends.map((update) => update.done)).toEqual([3, 6])
    expect(ends[1]!.message).toMatch(/^Epoch 2\/2 done: loss \d+\.\d{3}, accuracy \d+\.\d%$/)
    expect(ends[1]!.detail).toMatchObject({ epoch: 1, batch: 3, loss: run.result.history[1]!.loss })
  })

  it('sends a notice at once and carries it on the next update only', () => {
    const updates: ProgressUpdate[] = []
    const reporter = new ProgressReporter(1, 4, 'wasm', (update) => updates.push(update))
    reporter.onNotice('Out of memory: retrying epoch 2 with batch size 4.')
    reporter.onBatchEnd({ epoch: 1, batch: 0, batchesPerEpoch: 5, size: 4, loss: 0.5, accuracy: 1 })
    reporter.onEpochEnd({ ...metrics(1, 0.4, 0.75) })
    expect(updates[0]).toMatchObject({ important: true, message: 'Out of memory: retrying epoch 2 with batch size 4.' })
    expect(updates[1]!.detail!.notice).toBe('Out of memory: retrying epoch 2 with batch size 4.')
    expect(updates[2]!.detail!.notice).toBeNull()
    expect(updates[2]!.message).toBe('Epoch 2/4 done: loss 1.000, accuracy 50.0%, validation 75.0%')
  })
})

describe('Checkpoint', () => {
  it('saves model and optimizer weights that decode to exactly the live ones, with the caller’s state', async () => {
    const saved: StoredCheckpoint[] = []
    const optimizer = tf.train.adam(0.01)
    let live: { model: Float32Array[]; optimizer: (Float32Array | Int32Array)[] } | null = null
    const run = await loop(
      [
        new Checkpoint(optimizer, (checkpoint) => saved.push(checkpoint), () => ({ note: 'extra', epochs: saved.length })),
        {
          onEpochEnd: async (_metrics, state) => {
            const optimizerWeights = await optimizer.getWeights()
            live = {
              model: weightValues(state.model),
              optimizer: optimizerWeights.map((entry) => entry.tensor.dataSync() as Float32Array)
            }
            optimizerWeights[0]!.tensor.dispose() // the iteration count is a fresh scalar
          }
        }
      ],
      { epochs: 2, count: 24, optimizer }
    )
    expect(saved.map((checkpoint) => [checkpoint.epoch, checkpoint.state])).toEqual([
      [0, { note: 'extra', epochs: 0 }],
      [1, { note: 'extra', epochs: 1 }]
    ])
    const last = saved[1]!
    const model = decodeNamed(last.model)
    expect(model.map((entry) => entry.name)).toEqual(modelWeights(run.model).map((entry) => entry.name))
    expect(model.map((entry) => entry.tensor.dataSync())).toEqual(live!.model)
    const optimizerWeights = decodeNamed(last.optimizer)
    // Adam: the step count (2 epochs × 3 batches), then a first and a second moment per trainable weight.
    expect(optimizerWeights[0]).toMatchObject({ name: 'iter' })
    expect(optimizerWeights[0]!.tensor.dataSync()[0]).toBe(6)
    expect(optimizerWeights).toHaveLength(1 + 2 * run.model.trainableWeights.length)
    expect(optimizerWeights.map((entry) => entry.tensor.dataSync())).toEqual(live!.optimizer)
    tf.dispose([...model, ...optimizerWeights].map((entry) => entry.tensor))
  })

  // Regression test for a fixed bug: Checkpoint.onEpochEnd leaks one tensor per epoch. optimizer.getWeights() creates a new
  // int32 scalar for the iteration count (tfjs' saveIterations) that Checkpoint never disposes.
  it('creates no lasting tensors when it saves', async () => {
    const optimizer = tf.train.adam(0.01)
    const run = await loop([], { epochs: 1, optimizer })
    const checkpoint = new Checkpoint(optimizer, () => {})
    const state: LoopState = { model: run.model, stopTraining: false, stopReason: null }
    const before = tf.memory().numTensors
    for (let epoch = 0; epoch < 3; epoch++) await checkpoint.onEpochEnd(metrics(epoch, null), state)
    expect(tf.memory().numTensors).toBe(before)
  })
})
