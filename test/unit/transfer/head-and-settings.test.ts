import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { featureBatches, packFeatures } from '../../../src-main/transfer/feature-set'
import { buildHead } from '../../../src-main/transfer/head-model'
import { resolveTransferSettings } from '../../../src-main/transfer/transfer-settings'

// The small pieces of a transfer run: the head's shape, features served as batches, and the rule
// that picks settings from the data when the user left them at their defaults.

beforeAll(async () => {
  await activateBackend('wasm')
})

const settings = (overrides: Partial<TrainSettings> = {}) =>
  trainSettingsSchema.parse({ model: 'mobilenetv2', ...overrides }) as TrainSettings

describe('buildHead', () => {
  it('is Dropout + Dense softmax from 1280 features to the classes, seeded', () => {
    const head = buildHead({ classes: 4, dropout: 0.2, seed: 3 })
    const again = buildHead({ classes: 4, dropout: 0.2, seed: 3 })
    try {
      expect(head.layers.map((layer) => [layer.getClassName(), layer.name])).toEqual([
        ['Dropout', 'head_dropout'],
        ['Dense', 'head_predictions']
      ])
      expect(head.layers[0]!.getConfig().rate).toBe(0.2)
      expect(head.layers[1]!.getConfig().activation).toBe('softmax')
      expect(head.inputs[0]!.shape).toEqual([null, 1280])
      expect(head.outputs[0]!.shape).toEqual([null, 4])
      expect(head.countParams()).toBe(1280 * 4 + 4)
      expect(head.weights[0]!.read().dataSync()).toEqual(again.weights[0]!.read().dataSync())
      expect(() => buildHead({ classes: 1, dropout: 0 })).toThrow(/at least 2 classes/)
    } finally {
      head.dispose()
      again.dispose()
    }
  })
})

describe('featureBatches', () => {
  const examples = [0, 1, 2, 3, 4].map((n) => ({ imageId: 10 + n, contentHash: n === 3 ? null : `h${n}`, classIndex: n % 2 }))
  const byHash = new Map([0, 1, 2, 4].map((n) => [`h${n}`, Float32Array.from([n, n + 0.5, -n])]))

  it('packs the examples that have features and serves them in order, with one-hot labels and weights', async () => {
    const set = packFeatures(examples, byHash, 3)
    expect(set).toMatchObject({ size: 4, left: 1, imageIds: [10, 11, 12, 14], featureSize: 3 })
    const batches = []
    for await (const batch of featureBatches(set, { batchSize: 3, numClasses: 2, seed: 1, epoch: 0, shuffle: false, classWeights: [1, 3] })) {
      batches.push({ xs: batch.xs.arraySync(), ys: batch.ys.arraySync(), weights: batch.weights?.arraySync(), size: batch.size })
      tf.dispose([batch.xs, batch.ys, batch.weights].filter((t) => t !== undefined))
    }
    expect(batches).toEqual([
      { xs: [[0, 0.5, -0], [1, 1.5, -1], [2, 2.5, -2]], ys: [[1, 0], [0, 1], [1, 0]], weights: [1, 3, 1], size: 3 },
      { xs: [[4, 4.5, -4]], ys: [[1, 0]], weights: [1], size: 1 }
    ])
  })

  it('shuffles deterministically per (seed, epoch)', async () => {
    const set = packFeatures(examples, byHash, 3)
    const order = async (epoch: number) => {
      const firsts: number[] = []
      for await (const batch of featureBatches(set, { batchSize: 1, numClasses: 2, seed: 5, epoch })) {
        firsts.push(batch.xs.dataSync()[0]!)
        tf.dispose([batch.xs, batch.ys])
      }
      return firsts
    }
    expect(await order(0)).toEqual(await order(0))
    expect([...(await order(1))].sort()).toEqual([0, 1, 2, 4])
  })
})

describe('resolveTransferSettings', () => {
  const balanced = { trainCounts: [200, 200], hasValidation: true }

  it('fills in what the user left at the defaults: dropout 0.2, ≥ 20 epochs and ≥ 300 steps, patience 5', () => {
    expect(resolveTransferSettings(settings(), balanced)).toEqual({
      settings: { ...settings(), dropout: 0.2, epochs: 43, patience: 5 },
      chosen: ['dropout 0.2', 'epochs 43 (7 steps per epoch)', 'early stopping after 5 epochs without improvement']
    })
    const big = resolveTransferSettings(settings(), { trainCounts: [1000, 1000], hasValidation: true }).settings
    expect(big.epochs).toBe(20) // 32 steps an epoch: the minimum of 20 epochs is already 640 steps
    const tiny = resolveTransferSettings(settings(), { trainCounts: [3, 3], hasValidation: false }).settings
    expect(tiny).toMatchObject({ epochs: 100, patience: 0 }) // capped; no validation, no early stopping
  })

  it('keeps every value the user chose', () => {
    const chosen = settings({ dropout: 0.5, epochs: 7, patience: 2, classWeights: true, learningRate: 0.01 })
    expect(resolveTransferSettings(chosen, { trainCounts: [90, 10], hasValidation: true })).toEqual({ settings: chosen, chosen: [] })
  })

  it('turns class weights on when the largest class has at least 1.5× the smallest, unless oversampling', () => {
    expect(resolveTransferSettings(settings(), { trainCounts: [60, 40, 0], hasValidation: true }).settings.classWeights).toBe(true)
    expect(resolveTransferSettings(settings(), { trainCounts: [59, 40], hasValidation: true }).settings.classWeights).toBe(false)
    expect(resolveTransferSettings(settings({ oversample: true }), { trainCounts: [90, 10], hasValidation: true }).settings.classWeights).toBe(false)
  })
})
