import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Batch } from '../../../../src-main/training/data/batches'
import { toTensors } from '../../../../src-main/training/data/to-tensors'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('toTensors', () => {
  it('makes an NHWC float tensor, one-hot labels and sample weights', () => {
    const batch: Batch = {
      x: Float32Array.from({ length: 2 * 3 * 2 * 1 }, (_, index) => index / 11),
      y: Int32Array.from([2, 0]),
      weights: Float32Array.from([0.5, 1.5]),
      imageIds: [7, 8],
      size: 2,
      shape: [2, 3, 2, 1]
    }
    const before = tf.memory().numTensors
    const { xs, ys, weights } = toTensors(batch, tf, 3)
    expect(xs.shape).toEqual([2, 3, 2, 1])
    expect(xs.dtype).toBe('float32')
    expect(Array.from(xs.dataSync())).toEqual(Array.from(batch.x))
    expect(ys.shape).toEqual([2, 3])
    expect(ys.dtype).toBe('float32')
    expect(ys.arraySync()).toEqual([[0, 0, 1], [1, 0, 0]])
    expect(Array.from(weights!.dataSync())).toEqual([0.5, 1.5])
    // Exactly the tensors it returns, nothing left over.
    expect(tf.memory().numTensors - before).toBe(3)
    tf.dispose([xs, ys, weights!])
    expect(() => toTensors(batch, tf, 2)).toThrow(/class index 2/)
  })
})
