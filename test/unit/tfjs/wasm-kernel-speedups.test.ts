// The wasm kernels that exist for speed (src-main/tfjs/kernels): BatchMatMul with transposed operands,
// the copy-free Identity and the batched-convolution path of Conv2DBackpropFilter, each against the cpu
// backend on random shapes (the seed CNN's among them), and a whole seed-CNN gradient step; plus the
// tensor counts around them. The composed gradient kernels themselves are covered in
// test/unit/training/wasm-gradients.test.ts.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { usesBatchedConv } from '../../../src-main/tfjs/kernels/conv2d-backprop-filter'
import { registerWasmGradientKernels, unregisterWasmGradientKernels } from '../../../src-main/tfjs/kernels/register-wasm-gradients'
import { snapshotProcessHandlers } from '../../../src-main/tfjs/kernels/wasm-process-handlers'
import { buildSeedCnn } from '../../../src-main/training/models/cnn'
import { compareBackends } from '../../helpers/backend-compare'

/** Relative L2 accepted for one kernel (float32 sums in another order) and for a whole model's gradients. */
const KERNEL_TOLERANCE = 1e-5
const MODEL_TOLERANCE = 1e-4

beforeAll(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/')
  const handlers = snapshotProcessHandlers()
  const ok = await tf.setBackend('wasm')
  handlers.removeAdded()
  if (!ok) throw new Error('the wasm backend did not initialise')
  await tf.setBackend('cpu')
  await tf.setBackend('wasm')
  registerWasmGradientKernels({ fastBroadcastAndReductions: true })
}, 60_000)

afterAll(() => {
  unregisterWasmGradientKernels()
})

/** Deterministic values in [-1, 1) (mulberry32), the same on every backend. */
function seeded(shape: number[], seed: number): tf.Tensor {
  let state = seed >>> 0
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1))
  for (let i = 0; i < values.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    values[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1
  }
  return tf.tensor(values, shape)
}

describe('BatchMatMul with transposed operands (transpose first, then XNNPACK)', () => {
  const cases: { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }[] = [
    { a: [64, 1024], b: [64, 64], transposeA: true, transposeB: false }, // seed CNN dense1: dW = xᵀ·dy
    { a: [64, 64], b: [1024, 64], transposeA: false, transposeB: true }, // seed CNN dense1: dx = dy·Wᵀ
    { a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
    { a: [3, 6, 5], b: [3, 6, 4], transposeA: true, transposeB: false }, // batched
    { a: [1, 4, 5], b: [3, 6, 5], transposeA: false, transposeB: true }, // broadcast batch
    { a: [2, 3, 4, 5], b: [2, 3, 6, 4], transposeA: true, transposeB: true }, // rank 4
    { a: [9, 33], b: [33, 17], transposeA: false, transposeB: false } // no flags: the stock kernel
  ]
  it.each(cases)('$a × $b, transposeA $transposeA, transposeB $transposeB matches the cpu backend', async ({ a, b, transposeA, transposeB }) => {
    const [diff] = await compareBackends(() => [tf.matMul(seeded(a, 1), seeded(b, 2), transposeA, transposeB)])
    expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })

  it('leaves the number of tensors unchanged, and its gradient (matMul with transposes) matches', async () => {
    await tf.setBackend('wasm')
    const [a, b, bT, aT] = [seeded([6, 4], 3), seeded([4, 5], 4), seeded([5, 4], 5), seeded([4, 6], 6)]
    const before = tf.memory().numTensors
    tf.dispose([tf.matMul(a, b, false, false), tf.matMul(a, bT, false, true), tf.matMul(aT, b, true, false), tf.matMul(aT, bT, true, true)])
    expect(tf.memory().numTensors).toBe(before)
    const diffs = await compareBackends(() => {
      const probe = seeded([6, 5], 7)
      return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), probe)))([seeded([6, 4], 8), seeded([4, 5], 9)])
    })
    for (const diff of diffs) expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
    tf.dispose([a, b, bT, aT])
  })
})

describe('Identity shares the data instead of copying it', () => {
  it('a clone keeps its values after the original is disposed, and the backend frees the data with the last reference', async () => {
    await tf.setBackend('wasm')
    const tensorsBefore = tf.memory().numTensors
    const dataBefore = tf.engine().backend.numDataIds()
    const x = seeded([3, 4], 11)
    const expected = Float32Array.from(x.dataSync())
    const clone = tf.clone(x)
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore + 1) // shared, not copied
    x.dispose()
    expect(Float32Array.from(clone.dataSync())).toEqual(expected)
    const added = tf.add(clone, 1) // kernels reading the shared data still work
    expect(Array.from(added.dataSync())).toEqual(Array.from(expected, (v) => Math.fround(v + 1)))
    tf.dispose([clone, added])
    expect(tf.memory().numTensors).toBe(tensorsBefore)
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore)
  })

  it('int32 and bool tensors clone too; variables assigned from a clone keep their own values', async () => {
    await tf.setBackend('wasm')
    const ints = tf.tensor1d([1, -2, 3], 'int32')
    const bools = tf.tensor1d([true, false], 'bool')
    expect(Array.from(tf.clone(ints).dataSync())).toEqual([1, -2, 3])
    expect(Array.from(tf.clone(bools).dataSync())).toEqual([1, 0])
    const v = tf.variable(tf.tensor1d([1, 2]))
    const source = tf.tensor1d([5, 6])
    v.assign(tf.clone(source))
    source.dispose()
    expect(Array.from(v.dataSync())).toEqual([5, 6])
    v.assign(tf.tensor1d([7, 8]))
    expect(Array.from(v.dataSync())).toEqual([7, 8])
    tf.dispose([ints, bools, v])
  })
})

describe('Conv2DBackpropFilter as one batched convolution (stride 1, many channels)', () => {
  type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding
  // The seed CNN's layers with a smaller batch (the choice does not depend on it; the cpu backend is slow).
  const cases: { x: [number, number, number, number]; k: number; co: number; pad: Pad; batched: boolean }[] = [
    { x: [16, 6, 6, 64], k: 3, co: 64, pad: 'valid', batched: true }, // seed CNN conv3
    { x: [4, 15, 15, 32], k: 3, co: 64, pad: 'valid', batched: true }, // seed CNN conv2
    { x: [4, 32, 32, 3], k: 3, co: 32, pad: 'valid', batched: false }, // seed CNN conv1: im2col
    { x: [2, 5, 6, 16], k: 3, co: 4, pad: 'same', batched: true },
    { x: [3, 9, 8, 4], k: 5, co: 2, pad: 'valid', batched: true },
    { x: [2, 6, 5, 8], k: 3, co: 3, pad: [[0, 0], [1, 0], [2, 1], [0, 0]], batched: true },
    { x: [2, 7, 9, 12], k: 2, co: 5, pad: 'same', batched: true } // even kernel: asymmetric 'same' padding
  ]
  it.each(cases)('x $x, $k×$k → $co channels, pad $pad (batched: $batched) matches the cpu backend', async ({ x, k, co, pad, batched }) => {
    const info = tf.backend_util.computeConv2DInfo(x, [k, k, x[3], co], 1, 1, pad)
    expect(usesBatchedConv(info)).toBe(batched)
    const [diff] = await compareBackends(() => {
      const dy = seeded(info.outShape, 22)
      const attrs = { strides: 1, pad, dataFormat: 'NHWC', dilations: 1, filterShape: [k, k, x[3], co] }
      return [tf.engine().runKernel('Conv2DBackpropFilter', { x: seeded(x, 21), dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor]
    })
    expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })

  it('is never chosen for strides other than 1', () => {
    expect(usesBatchedConv(tf.backend_util.computeConv2DInfo([8, 12, 12, 64], [3, 3, 64, 64], 2, 1, 'same'))).toBe(false)
  })
})

describe('MaxPoolGrad for windows that tile the input (no transposes, first maximum by tap weight)', () => {
  const cases: { shape: [number, number, number, number]; window: number }[] = [
    { shape: [4, 30, 30, 32], window: 2 }, // seed CNN pool1 (smaller batch)
    { shape: [4, 13, 13, 64], window: 2 }, // seed CNN pool2: the last row and column are read by no window
    { shape: [2, 7, 9, 3], window: 3 },
    { shape: [3, 8, 8, 5], window: 4 }
  ]
  it.each(cases)('$shape, $window×$window / $window: exactly the cpu backend, ties (many, ≤ 0 too) included', async ({ shape, window }) => {
    const read = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend)
      try {
        return tf.tidy(() => {
          // Values on a coarse grid in [-1, 1]: most windows hold repeated maxima, some of them ≤ 0.
          const x = tf.div(tf.round(tf.mul(seeded(shape, 41), 2)), 2) as tf.Tensor4D
          const dy = seeded(tf.maxPool(x, window, window, 'valid').shape, 42)
          const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, window, window, 'valid'), dy)))(x)
          return Float32Array.from(dx.dataSync())
        })
      } finally {
        await tf.setBackend('wasm')
      }
    }
    const cpu = await read('cpu')
    const wasm = await read('wasm')
    expect(wasm.length).toBe(cpu.length)
    const differing = cpu.reduce((count, v, i) => count + (wasm[i] === v ? 0 : 1), 0)
    expect(differing).toBe(0)
  }, 60_000)

  it('leaves the number of tensors unchanged', async () => {
    await tf.setBackend('wasm')
    const x = seeded([2, 6, 8, 3], 43) as tf.Tensor4D
    const pooled = tf.maxPool(x, 2, 2, 'valid')
    const dy = seeded(pooled.shape, 44)
    const before = tf.memory().numTensors
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap
    ;(tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: pooled }, attrs) as tf.Tensor).dispose()
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([x, pooled, dy])
  })
})

describe('the seed CNN on wasm with every replacement', () => {
  it('one training step: the gradients of all weights match the cpu backend, and no tensor is left behind', async () => {
    const gradients = () => {
      const model = buildSeedCnn({ height: 32, width: 32, channels: 3, classes: 10, seed: 5 })
      const x = seeded([4, 32, 32, 3], 31)
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10)
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar)
      const ordered = model.trainableWeights.map((w) => grads[w.originalName ?? w.name]!)
      model.dispose()
      return ordered
    }
    const diffs = await compareBackends(gradients)
    expect(diffs).toHaveLength(10)
    for (const diff of diffs) expect(diff).toBeLessThanOrEqual(MODEL_TOLERANCE)

    await tf.setBackend('wasm')
    const model = buildSeedCnn({ height: 32, width: 32, channels: 3, classes: 10, seed: 6 })
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' })
    const x = seeded([4, 32, 32, 3], 32)
    const y = tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 10)
    await model.trainOnBatch(x, y) // creates Adam's slots
    const before = tf.memory().numTensors
    await model.trainOnBatch(x, y)
    await model.trainOnBatch(x, y)
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([x, y])
    model.dispose()
  }, 180_000)
})
