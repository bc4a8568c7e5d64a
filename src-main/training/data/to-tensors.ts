// The one place batches meet tfjs. The namespace comes in as a parameter (a type-only import here),
// so this data layer never loads a backend itself: the engine passes whichever tf it set up.
import type * as tfNamespace from '@tensorflow/tfjs-core'
import type { Batch } from './batch-types'

export interface BatchTensors {
  /** [size, height, width, channels], float32 in [0, 1]. */
  xs: tfNamespace.Tensor4D
  /** [size, numClasses], float32 one-hot (what categoricalCrossentropy expects). */
  ys: tfNamespace.Tensor2D
  /** [size], float32 per-sample loss weights, when the batch has them. */
  weights?: tfNamespace.Tensor1D
}

/**
 * Tensors for one batch; the caller disposes them (or creates them inside tf.tidy). Some backends
 * (cpu) keep the typed array by reference instead of copying; that is safe because batches()
 * allocates fresh arrays for every batch and never writes to one after yielding it.
 */
export function toTensors(batch: Batch, tf: typeof tfNamespace, numClasses: number): BatchTensors {
  if (!(Number.isInteger(numClasses) && numClasses >= 1)) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`)
  // One-hot built in JS rather than tf.oneHot: one upload, no int32 intermediate to dispose or cast.
  const oneHot = new Float32Array(batch.size * numClasses)
  for (let i = 0; i < batch.size; i++) {
    const classIndex = batch.y[i]!
    if (!(classIndex >= 0 && classIndex < numClasses)) throw new RangeError(`class index ${classIndex} is outside 0…${numClasses - 1}`)
    oneHot[i * numClasses + classIndex] = 1
  }
  const tensors: BatchTensors = {
    xs: tf.tensor4d(batch.x, batch.shape, 'float32'),
    ys: tf.tensor2d(oneHot, [batch.size, numClasses], 'float32')
  }
  if (batch.weights) tensors.weights = tf.tensor1d(batch.weights, 'float32')
  return tensors
}
