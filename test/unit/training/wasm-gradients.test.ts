// The composed wasm gradient kernels (src-main/training/kernels) against the cpu backend's stock kernels:
// each kernel on its own, max-pool gradients (with and without ties), batch norm in training mode, and
// whole models. Values are computed on one backend (tf.setBackend), read out with dataSync(), and the
// same computation is repeated on the other backend from the same seeded inputs.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  WASM_GRADIENT_KERNEL_NAMES,
  registerWasmGradientKernels,
  unregisterWasmGradientKernels
} from '../../../src-main/tfjs/kernels/register-wasm-gradients'
import { snapshotProcessHandlers } from '../../../src-main/tfjs/kernels/wasm-process-handlers'
import { compareBackends, relativeL2 } from '../../helpers/backend-compare'

type Backend = 'cpu' | 'wasm'
type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding

/** Largest relative L2 difference accepted for a single kernel; the measured ones are ≤ 4e-7. */
const KERNEL_TOLERANCE = 1e-5
/** Per variable, for whole models (the brief's bound; the notes saw ≤ 3e-6). */
const MODEL_TOLERANCE = 1e-4

let registeredAtStart: string[] = []
/** The process's unhandled-rejection / uncaught-exception listeners before and after the wasm backend started. */
let listenersBefore: unknown[] = []
let listenersAfter: unknown[] = []
const processListeners = (): unknown[] => [...process.listeners('unhandledRejection'), ...process.listeners('uncaughtException')]
/** Largest relative difference seen per group of checks, printed at the end. */
const measured = new Map<string, number>()
function record(group: string, diffs: number[]): void {
  measured.set(group, Math.max(measured.get(group) ?? 0, ...diffs))
}

beforeAll(async () => {
  const wasmDist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/'
  setWasmPaths(wasmDist)
  // The wasm loader installs process handlers that rethrow any unhandled rejection; drop them.
  listenersBefore = processListeners()
  const handlers = snapshotProcessHandlers()
  const ok = await tf.setBackend('wasm')
  handlers.removeAdded()
  listenersAfter = processListeners()
  if (!ok || tf.getBackend() !== 'wasm') throw new Error('the wasm backend did not initialise')
  await tf.setBackend('cpu') // initialise cpu too, so switching later is immediate
  await tf.setBackend('wasm')
  registeredAtStart = registerWasmGradientKernels()
}, 60_000)

afterAll(() => {
  unregisterWasmGradientKernels()
  const lines = [...measured].map(([group, diff]) => `  ${group}: ${diff.toExponential(1)}`)
  console.log(`largest relative L2 difference wasm vs cpu:\n${lines.join('\n')}`)
})

/** Deterministic values in [-1, 1) (mulberry32), the same on every backend. */
function seededValues(count: number, seed: number): Float32Array {
  let state = seed >>> 0
  const out = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1
  }
  return out
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape)
}

/** Runs `compute` with `backend` active; its tensors are released afterwards, its plain results kept. */
async function on<T>(backend: Backend, compute: () => T): Promise<T> {
  await tf.setBackend(backend)
  try {
    let result: T | undefined
    tf.tidy(() => {
      result = compute()
    })
    return result as T
  } finally {
    await tf.setBackend('wasm')
  }
}

describe('registration', () => {
  it('removes exactly the process listeners added after the snapshot, and reports how many', () => {
    const kept = () => {}
    process.on('unhandledRejection', kept)
    const snapshot = snapshotProcessHandlers()
    const added = [() => {}, () => {}]
    process.on('unhandledRejection', added[0]!)
    process.on('uncaughtException', added[1]!)
    expect(snapshot.removeAdded()).toBe(2)
    expect(process.listeners('unhandledRejection')).toContain(kept)
    expect(processListeners()).not.toContain(added[0])
    expect(processListeners()).not.toContain(added[1])
    process.off('unhandledRejection', kept)
  })

  it('registers the missing wasm gradient kernels, the fixed MaxPoolGrad and the faster Conv2DBackpropInput / BatchMatMul / Identity, idempotently', () => {
    // Whatever the wasm loader added to the process is gone again…
    expect(listenersAfter).toEqual(listenersBefore)
    expect(registeredAtStart).toEqual([
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'MaxPoolGrad',
      'Conv2DBackpropInput',
      'BatchMatMul',
      'Identity'
    ])
    for (const name of registeredAtStart) expect(tf.getKernel(name, 'wasm')).toBeDefined()
    expect(registerWasmGradientKernels()).toEqual([])
    expect(WASM_GRADIENT_KERNEL_NAMES).toEqual(expect.arrayContaining(registeredAtStart))
    // Only the wasm backend is touched.
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc).not.toBe(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc)
  })

  it('leaves no process handler from the wasm loader behind', () => {
    const listeners = [...process.listeners('unhandledRejection'), ...process.listeners('uncaughtException')]
    expect(listeners.some((l) => /throw (reason|ex)/.test(String(l)))).toBe(false)
  })
})

describe('conv2d gradients (Conv2DBackpropFilter, Conv2DBackpropInput) match the cpu backend', () => {
  const cases: { k: number; stride: number; pad: Pad }[] = []
  for (const k of [3, 1]) for (const stride of [1, 2]) for (const pad of ['same', 'valid'] as const) cases.push({ k, stride, pad })
  cases.push({ k: 3, stride: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] })
  cases.push({ k: 5, stride: 3, pad: 'valid' })

  it.each(cases)('kernel $k×$k, stride $stride, pad $pad, input 2×7×9×3 → 5 channels', async ({ k, stride, pad }) => {
    const diffs = await compareBackends(() => {
      const x = seeded([2, 7, 9, 3], 11)
      const w = seeded([k, k, 3, 5], 12)
      const probe = seeded(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad).shape, 13)
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), probe))
      const [dx, dw] = tf.grads(f)([x, w])
      return [dx!, dw!]
    })
    record('Conv2DBackpropInput', [diffs[0]!])
    record('Conv2DBackpropFilter', [diffs[1]!])
    for (const diff of diffs) expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })

  it("numeric padding with dimRoundingMode 'ceil' (windows reaching past the padding) matches, kernels called directly", async () => {
    const attrs = { strides: 2, pad: 1, dimRoundingMode: 'ceil' as const, dataFormat: 'NHWC', dilations: 1 }
    const x = [2, 8, 9, 3]
    const dyShape = tf.backend_util.computeConv2DInfo([2, 8, 9, 3], [3, 3, 3, 4], 2, 1, 1, 'ceil').outShape
    const dwShape = tf.backend_util.computeConv2DInfo([2, 8, 9, 3], [3, 3, 3, 1], 2, 1, 1, 'ceil', true).outShape
    const run = (name: string, inputs: Record<string, number[]>, extra: object) => {
      const tensors = Object.fromEntries(Object.entries(inputs).map(([key, shape], i) => [key, seeded(shape, 24 + i)]))
      return tf.engine().runKernel(name, tensors, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor
    }
    const diffs = await compareBackends(() => [
      run('Conv2DBackpropFilter', { x, dy: dyShape }, { filterShape: [3, 3, 3, 4] }),
      run('Conv2DBackpropInput', { dy: dyShape, filter: [3, 3, 3, 4] }, { inputShape: x }),
      run('DepthwiseConv2dNativeBackpropFilter', { x, dy: dwShape }, { filterShape: [3, 3, 3, 1] }),
      run('DepthwiseConv2dNativeBackpropInput', { dy: dwShape, filter: [3, 3, 3, 1] }, { inputShape: x })
    ])
    for (const diff of diffs) expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })

  it('conv2dTranspose (Conv2DBackpropInput as a forward op) matches, stride 2', async () => {
    const [diff] = await compareBackends(() => [
      tf.conv2dTranspose(seeded([2, 4, 5, 6], 21) as tf.Tensor4D, seeded([3, 3, 4, 6], 22) as tf.Tensor4D, [2, 8, 9, 4], 2, 'same')
    ])
    record('Conv2DBackpropInput', [diff!])
    expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })
})

describe('depthwise conv2d gradients match the cpu backend', () => {
  const cases: { stride: number; pad: Pad; k: number }[] = []
  for (const stride of [1, 2]) for (const pad of ['same', 'valid'] as const) cases.push({ stride, pad, k: 3 })
  cases.push({ stride: 2, pad: [[0, 0], [0, 1], [1, 1], [0, 0]], k: 3 })
  cases.push({ stride: 1, pad: 'same', k: 5 })

  it.each(cases)('kernel $k×$k, stride $stride, pad $pad, input 3×7×9×4', async ({ stride, pad, k }) => {
    const diffs = await compareBackends(() => {
      const x = seeded([3, 7, 9, 4], 31)
      const w = seeded([k, k, 4, 1], 32)
      const probe = seeded(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad).shape, 33)
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), probe))
      const [dx, dw] = tf.grads(f)([x, w])
      return [dx!, dw!]
    })
    record('DepthwiseConv2dNativeBackpropInput', [diffs[0]!])
    record('DepthwiseConv2dNativeBackpropFilter', [diffs[1]!])
    for (const diff of diffs) expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })
})

describe('pooling gradients', () => {
  /** A permutation of distinct values in [-1, 1): no window has two equal maxima, and many maxima are negative. */
  function distinct(shape: [number, number, number, number]): tf.Tensor4D {
    const count = shape.reduce((a, b) => a * b, 1)
    return tf.tensor4d(
      Array.from({ length: count }, (_, i) => (2 * ((i * 7919) % count)) / count - 1),
      shape
    )
  }

  const poolCases: { window: number; stride: number; pad: 'same' | 'valid' }[] = [
    { window: 2, stride: 2, pad: 'valid' }, // disjoint windows; 7×9 leaves a row and a column unread
    { window: 2, stride: 2, pad: 'same' }, // disjoint but padded
    { window: 3, stride: 2, pad: 'same' }, // overlapping and padded
    { window: 3, stride: 1, pad: 'valid' }
  ]

  it.each(poolCases)('maxPool $window×$window / $stride $pad matches the cpu backend on inputs without ties', async ({ window, stride, pad }) => {
    const diffs = await compareBackends(() => {
      const x = distinct([2, 7, 9, 3])
      const probe = seeded(tf.maxPool(x, window, stride, pad).shape, 41)
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, window, stride, pad), probe)))(x)
      return [tf.maxPool(x, window, stride, pad), dx]
    })
    record('MaxPoolGrad', [diffs[1]!])
    for (const diff of diffs) expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })

  it('maxPool routes each window gradient to one of its maxima when there are ties (either tie-break accepted)', async () => {
    // 2×2 windows, stride 2, values rounded so that most windows hold repeated maxima (some ≤ 0).
    const shape: [number, number, number, number] = [2, 6, 8, 3]
    const values = Array.from(seededValues(2 * 6 * 8 * 3, 51), (v) => Math.round(v * 2) / 2)
    const read = () => {
      const x = tf.tensor4d(values, shape)
      const dy = tf.add(tf.abs(seeded([2, 3, 4, 3], 52)), 0.5) // non-zero everywhere
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), dy)))(x)
      return { dx: Array.from(dx.dataSync()), dy: Array.from(dy.dataSync()) }
    }
    const cpu = await on('cpu', read)
    const wasm = await on('wasm', read)
    let ties = 0
    const at = (n: number, h: number, w: number, c: number) => ((n * shape[1] + h) * shape[2] + w) * shape[3] + c
    for (let n = 0; n < 2; n++) {
      for (let oh = 0; oh < 3; oh++) {
        for (let ow = 0; ow < 4; ow++) {
          for (let c = 0; c < 3; c++) {
            const cells = [0, 1].flatMap((i) => [0, 1].map((j) => at(n, oh * 2 + i, ow * 2 + j, c)))
            const max = Math.max(...cells.map((i) => values[i]!))
            if (cells.filter((i) => values[i] === max).length > 1) ties++
            const expected = cpu.dy[((n * 3 + oh) * 4 + ow) * 3 + c]!
            for (const result of [cpu, wasm]) {
              const sum = cells.reduce((s, i) => s + result.dx[i]!, 0)
              expect(sum).toBeCloseTo(expected, 5)
              // All of the window's gradient sits on cells that hold the maximum.
              for (const i of cells) if (values[i] !== max) expect(Math.abs(result.dx[i]!)).toBe(0)
            }
          }
        }
      }
    }
    expect(ties).toBeGreaterThan(10)
  })

  it('the stock wasm MaxPoolGrad is wrong for windows whose maximum is ≤ 0 (why it is replaced)', async () => {
    await tf.setBackend('wasm')
    const x = tf.tensor4d([-3, -1, -2, -4], [1, 2, 2, 1])
    const dxWith = () => Array.from(tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'))(x).dataSync())
    expect(dxWith()).toEqual([0, 1, 0, 0])
    unregisterWasmGradientKernels()
    registerWasmGradientKernels({ replaceMaxPoolGrad: false })
    try {
      // tfjs-backend-wasm 4.22 starts its arg-max at numeric_limits<float>::min() (> 0). If this starts
      // failing, the stock kernel has been fixed and the replacement can be made optional.
      expect(dxWith()).not.toEqual([0, 1, 0, 0])
    } finally {
      unregisterWasmGradientKernels()
      registerWasmGradientKernels()
      x.dispose()
    }
  })

  it.each(poolCases)('avgPool $window×$window / $stride $pad gradient (stock wasm AvgPoolGrad) matches the cpu backend', async ({ window, stride, pad }) => {
    const [diff] = await compareBackends(() => {
      const x = seeded([2, 7, 9, 3], 42)
      const probe = seeded(tf.avgPool(x as tf.Tensor4D, window, stride, pad).shape, 43)
      return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, window, stride, pad), probe)))(x)]
    })
    record('AvgPoolGrad (stock)', [diff!])
    expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })
})

/** Builds a model on the active backend with weights copied from `weights` (values from the cpu build). */
type WeightValues = { shape: number[]; values: Float32Array }[]

/** Gradients of a softmax cross-entropy loss for every trainable weight, with layers in training mode. */
async function modelGradients(
  build: () => tfl.LayersModel,
  inputShape: number[],
  classes: number
): Promise<{ names: string[]; cpu: Float32Array[]; wasm: Float32Array[] }> {
  let weights: WeightValues = []
  let names: string[] = []
  const run = (backend: Backend) =>
    on(backend, () => {
      const model = build()
      if (backend === 'cpu') {
        weights = model.getWeights().map((w) => ({ shape: w.shape, values: Float32Array.from(w.dataSync()) }))
        names = model.trainableWeights.map((w) => w.originalName)
      } else {
        model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)))
      }
      const x = seeded([4, ...inputShape], 61)
      const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), classes)
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        model.trainableWeights.map((w) => w.read() as tf.Variable)
      )
      const out = model.trainableWeights.map((w) => Float32Array.from(grads[(w.read() as tf.Variable).name]!.dataSync()))
      tf.dispose(grads)
      model.dispose()
      return out
    })
  const cpu = await run('cpu')
  const wasm = await run('wasm')
  return { names, cpu, wasm }
}

function expectGradientsClose(group: string, result: { names: string[]; cpu: Float32Array[]; wasm: Float32Array[] }): number {
  let worst = 0
  result.cpu.forEach((expected, i) => {
    const diff = relativeL2(result.wasm[i]!, expected)
    worst = Math.max(worst, diff)
    expect(Number.isFinite(diff), result.names[i]).toBe(true)
    expect(diff, `gradient of ${result.names[i]}`).toBeLessThanOrEqual(MODEL_TOLERANCE)
  })
  record(group, [worst])
  return worst
}

function batchNormModel(): tfl.LayersModel {
  const model = tfl.sequential()
  model.add(tfl.layers.conv2d({ inputShape: [9, 7, 3], filters: 6, kernelSize: 3, padding: 'same', useBias: false }))
  model.add(tfl.layers.batchNormalization({ momentum: 0.9 }))
  model.add(tfl.layers.reLU())
  model.add(tfl.layers.globalAveragePooling2d({}))
  model.add(tfl.layers.dense({ units: 3 }))
  return model
}

/** conv2d + maxPool + batchNormalization + dropout + dense (dropout seeded, so both backends drop the same units). */
function smallCnn(): tfl.LayersModel {
  const model = tfl.sequential()
  // (No bias before batch norm: its gradient is 0 up to rounding, so a relative difference means nothing.)
  model.add(tfl.layers.conv2d({ inputShape: [12, 10, 3], filters: 8, kernelSize: 3, padding: 'same', useBias: false }))
  model.add(tfl.layers.batchNormalization())
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 })) // on signed values: windows with maxima ≤ 0
  model.add(tfl.layers.reLU())
  model.add(tfl.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, activation: 'relu' }))
  model.add(tfl.layers.dropout({ rate: 0.25, seed: 7 }))
  model.add(tfl.layers.flatten())
  model.add(tfl.layers.dense({ units: 16, activation: 'relu' }))
  model.add(tfl.layers.dense({ units: 3 }))
  return model
}

/** A MobileNet-style depthwise-separable block: depthwise stride 1 and 2, 1×1 conv, batch norm, relu6 / ReLU(max 6), add. */
function separableBlock(): tfl.LayersModel {
  const input = tfl.input({ shape: [9, 11, 8] })
  let x = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tfl.SymbolicTensor
  x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor
  x = tfl.layers.reLU({ maxValue: 6 }).apply(x) as tfl.SymbolicTensor
  x = tfl.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false }).apply(x) as tfl.SymbolicTensor
  x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor
  x = tfl.layers.add().apply([x, input]) as tfl.SymbolicTensor
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor
  x = tfl.layers.activation({ activation: 'relu6' }).apply(x) as tfl.SymbolicTensor
  x = tfl.layers.conv2d({ filters: 12, kernelSize: 1, activation: 'relu' }).apply(x) as tfl.SymbolicTensor
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor
  x = tfl.layers.dense({ units: 3 }).apply(x) as tfl.SymbolicTensor
  return tfl.model({ inputs: input, outputs: x })
}

describe('model gradients match the cpu backend (relative L2 ≤ 1e-4 per variable)', () => {
  it('batch normalization in training mode: gradients of all weights', async () => {
    const worst = expectGradientsClose('model: batch norm', await modelGradients(batchNormModel, [9, 7, 3], 3))
    expect(worst).toBeLessThan(MODEL_TOLERANCE)
  })

  it('small CNN: conv2d + maxPool + batchNormalization + dropout + dense', async () => {
    expectGradientsClose('model: small CNN', await modelGradients(smallCnn, [12, 10, 3], 3))
  })

  it('depthwise-separable block: depthwise stride 1 and 2, 1×1 conv, batch norm, relu6, ReLU(max 6), add', async () => {
    expectGradientsClose('model: depthwise-separable block', await modelGradients(separableBlock, [9, 11, 8], 3))
  })

  it('trains (fit) on wasm with the composed kernels', async () => {
    await tf.setBackend('wasm')
    // The block ends in logits; categorical cross-entropy wants probabilities (fed logits, it divides by
    // their sum, which can be negative, and the loss wandered up as often as down).
    const block = separableBlock()
    const model = tfl.model({ inputs: block.inputs, outputs: tfl.layers.softmax().apply(block.outputs[0]!) as tfl.SymbolicTensor })
    model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' })
    const x = seeded([4, 9, 11, 8], 71)
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3)
    const history = await model.fit(x, y, { epochs: 30, batchSize: 4, verbose: 0 })
    const losses = history.history.loss as number[]
    expect(losses).toHaveLength(30)
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true)
    // Learning, not just finite numbers: gradients pointing the wrong way (or nowhere) would not lower it.
    // (30 steps on 4 images: the loss fell to 0.08–0.44 of its start in repeated runs.)
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.6)
    tf.dispose([x, y])
    model.dispose()
  })
})

describe('resources and unsupported attributes', () => {
  it('a gradient step leaves the number of tensors unchanged', async () => {
    await tf.setBackend('wasm')
    const model = smallCnn()
    const optimizer = tf.train.adam(1e-3)
    const x = seeded([4, 12, 10, 3], 81)
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3)
    const step = () =>
      optimizer
        .minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)
        ?.dispose()
    step() // creates the optimizer's slots
    const before = tf.memory().numTensors
    step()
    step()
    expect(tf.memory().numTensors).toBe(before)
    // And each kernel on its own.
    const xs = seeded([2, 7, 9, 3], 82) as tf.Tensor4D
    const dy = seeded([2, 4, 5, 5], 83) as tf.Tensor4D
    const dyDw = seeded([2, 4, 5, 3], 84) as tf.Tensor4D
    const w = seeded([3, 3, 3, 5], 85) as tf.Tensor4D
    const dw = seeded([3, 3, 3, 1], 86) as tf.Tensor4D
    const kernelsBefore = tf.memory().numTensors
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1 }
    tf.dispose([
      tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, { ...attrs, filterShape: [3, 3, 3, 5] }) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: [2, 7, 9, 3] }) as tf.Tensor,
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xs, dy: dyDw }, { ...attrs, filterShape: [3, 3, 3, 1] }) as tf.Tensor,
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyDw, filter: dw }, { ...attrs, inputShape: [2, 7, 9, 3] }) as tf.Tensor
    ])
    expect(tf.memory().numTensors).toBe(kernelsBefore)
    tf.dispose([x, labels, xs, dy, dyDw, w, dw])
    optimizer.dispose()
    model.dispose()
  })

  it('dilation other than 1, a depth multiplier other than 1 and NCHW throw errors naming the attribute', async () => {
    await tf.setBackend('wasm')
    const x = tf.zeros([1, 7, 7, 2])
    const dy = tf.zeros([1, 7, 7, 2])
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => () =>
      tf.dispose(tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor)
    const base = { strides: 1, pad: 'same' }
    expect(run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...base, dilations: [2, 2], filterShape: [3, 3, 2, 1] })).toThrow(
      /DepthwiseConv2dNativeBackpropFilter.*unsupported attribute dilations=\[2,2\]/
    )
    expect(
      run('DepthwiseConv2dNativeBackpropInput', { dy, filter: tf.zeros([3, 3, 2, 1]) }, { ...base, dilations: 2, inputShape: [1, 7, 7, 2] })
    ).toThrow(/unsupported attribute dilations=2/)
    expect(
      run('DepthwiseConv2dNativeBackpropFilter', { x, dy: tf.zeros([1, 7, 7, 4]) }, { ...base, dilations: 1, filterShape: [3, 3, 2, 2] })
    ).toThrow(/unsupported attribute channel multiplier=2/)
    expect(run('Conv2DBackpropFilter', { x, dy }, { ...base, dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] })).toThrow(
      /Conv2DBackpropFilter.*unsupported attribute dataFormat="NCHW"/
    )
    expect(run('Conv2DBackpropFilter', { x, dy }, { ...base, dataFormat: 'NHWC', dilations: [1, 3], filterShape: [3, 3, 2, 2] })).toThrow(
      /unsupported attribute dilations=\[1,3\]/
    )
    // Through the gradient of an op, tfjs-core itself rejects dilation > 1 before any kernel runs.
    const w = tf.zeros([3, 3, 2, 1]) as tf.Tensor4D
    expect(() => tf.grad((a: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, w, 1, 'same', 'NHWC', 2))(x)).toThrow(/dilation/)
    tf.dispose([x, dy, w])
  })
})

describe('opt-in fast Tile / Sum / Mean (fastBroadcastAndReductions)', () => {
  beforeAll(() => {
    expect(registerWasmGradientKernels({ fastBroadcastAndReductions: true })).toEqual(['Tile', 'Sum', 'Mean'])
  })
  afterAll(() => {
    unregisterWasmGradientKernels()
    registerWasmGradientKernels()
  })

  it('match the cpu backend on the cases they speed up and on the ones they hand to the stock kernels', async () => {
    const diffs = await compareBackends(() => {
      const x = seeded([5, 6, 7, 3], 91)
      return [
        tf.sum(x, [0, 1, 2]),
        tf.sum(x, [0, 1, 2], true),
        tf.mean(x, [0, 1, 2]),
        tf.sum(x, [0]),
        tf.mean(x, [1, 0]),
        tf.sum(x), // all axes
        tf.sum(x, [3]), // stock
        tf.mean(x, [1, 2]), // stock
        tf.tile(seeded([1, 1, 1, 3], 92), [5, 6, 7, 1]),
        tf.tile(seeded([1, 4, 3], 93), [6, 1, 1]),
        tf.tile(seeded([2, 3], 94), [2, 3]), // stock
        tf.cast(tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0), 'float32') // stock (int32)
      ]
    })
    record('fast Tile/Sum/Mean: direct', diffs)
    for (const diff of diffs) expect(diff).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  })

  it('batch-norm and CNN gradients still match the cpu backend', async () => {
    expectGradientsClose('fast Tile/Sum/Mean: models', await modelGradients(batchNormModel, [9, 7, 3], 3))
    expectGradientsClose('fast Tile/Sum/Mean: models', await modelGradients(smallCnn, [12, 10, 3], 3))
    expectGradientsClose('fast Tile/Sum/Mean: models', await modelGradients(separableBlock, [9, 11, 8], 3))
  })
})
