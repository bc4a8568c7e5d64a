import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { TensorBatch } from '../../../../src-main/training/loop/train-loop'

// Synthetic but real tensor batches for the loop and callback tests: a two-class problem a CNN
// separates in a few steps (class 0 bright in the red channel, class 1 in the blue one, noise on
// top), generated from a seed so every run sees the same numbers.

export interface SyntheticData {
  size: number
  channels: 1 | 3
  count: number
  x: Float32Array
  y: Float32Array
}

export function separableData(count: number, options: { size?: number; channels?: 1 | 3; seed?: number } = {}): SyntheticData {
  const size = options.size ?? 20
  const channels = options.channels ?? 3
  let state = (options.seed ?? 7) >>> 0
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32
  const x = new Float32Array(count * size * size * channels)
  const y = new Float32Array(count * 2)
  for (let i = 0; i < count; i++) {
    const label = i % 2
    y[i * 2 + label] = 1
    for (let p = 0; p < size * size; p++) {
      for (let c = 0; c < channels; c++) {
        // One channel: class 1 is brighter. Three: class 0 red, class 1 blue.
        const lit = channels === 1 ? label === 1 : c === (label === 0 ? 0 : 2)
        x[(i * size * size + p) * channels + c] = (lit ? 0.5 : 0) + 0.5 * random()
      }
    }
  }
  return { size, channels, count, x, y }
}

/** The data as batches of `batchSize` (the last one smaller), optionally with per-sample weights. */
export function batchesOf(data: SyntheticData, batchSize: number, weights?: (row: number) => number): () => AsyncGenerator<TensorBatch> {
  const perImage = data.size * data.size * data.channels
  return async function* () {
    for (let start = 0; start < data.count; start += batchSize) {
      const size = Math.min(batchSize, data.count - start)
      const batch: TensorBatch = {
        xs: tf.tensor4d(data.x.slice(start * perImage, (start + size) * perImage), [size, data.size, data.size, data.channels]),
        ys: tf.tensor2d(data.y.slice(start * 2, (start + size) * 2), [size, 2]),
        size
      }
      if (weights) batch.weights = tf.tensor1d(Array.from({ length: size }, (_, i) => weights(start + i)))
      yield batch
    }
  }
}

export const batchCount = (data: SyntheticData, batchSize: number): number => Math.ceil(data.count / batchSize)

/** Every weight of the model as plain numbers, in model.weights order. */
export function weightValues(model: tfl.LayersModel): Float32Array[] {
  return model.weights.map((variable) => variable.read().dataSync() as Float32Array)
}

/** Sets every weight of the model to `value` (a recognisable state to snapshot and compare). */
export function fillWeights(model: tfl.LayersModel, value: number): void {
  const filled = model.weights.map((variable) => tf.fill(variable.shape as number[], value))
  model.setWeights(filled)
  tf.dispose(filled)
}
