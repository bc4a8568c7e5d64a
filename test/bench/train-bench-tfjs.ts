// In-process tfjs measurements for `npm run bench:train`, with the product's own code: activateBackend,
// buildSeedCnn, trainLoop (optimizer.minimize + loss/accuracy read-back per step) on random batches.
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import { activateBackend } from '../../src-main/tfjs/backend'
import { crossEntropy } from '../../src-main/training/loop/metrics'
import { type TensorBatch, trainLoop } from '../../src-main/training/loop/train-loop'
import { buildSeedCnn } from '../../src-main/training/models/cnn'
import { ParallelStepper } from '../../src-main/training/parallel/parallel-stepper'
import { median } from './train-bench-common'

export const BATCH = 64
const SHAPE: [number, number, number, number] = [BATCH, 32, 32, 3]
const CLASSES = 10

export interface LoopTiming {
  backend: string
  label: string
  stepMs: number[]
  medianStepMs: number
  imagesPerSecond: number
}

/** Deterministic pseudo-random inputs: one pixel array and one-hot labels, uploaded fresh every step. */
function randomData(): { x: Float32Array; y: Float32Array } {
  let state = 12345
  const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const x = new Float32Array(SHAPE.reduce((a, b) => a * b, 1)).map(next)
  const y = new Float32Array(BATCH * CLASSES)
  for (let i = 0; i < BATCH; i++) y[i * CLASSES + Math.floor(next() * CLASSES)] = 1
  return { x, y }
}

const DATA = randomData()
const makeBatch = (): TensorBatch => ({ xs: tf.tensor4d(DATA.x, SHAPE), ys: tf.tensor2d(DATA.y, [BATCH, CLASSES]), size: BATCH })

function newModel() {
  return { model: buildSeedCnn({ height: 32, width: 32, channels: 3, classes: CLASSES }), optimizer: tf.train.adam(1e-3) }
}

/** The built gradient worker (the bench builds first): what a CNN run on wasm starts, one per core. */
const GRADIENT_WORKER = join(import.meta.dirname, '..', '..', 'out', 'main', 'gradient-worker.js')

/**
 * Step times of trainLoop on `backend`: `warmup` untimed steps, then `steps` timed ones (batch end to
 * batch end). With `workers` ≥ 2, the product's data-parallel stepper (as `pictor train` runs a CNN on
 * wasm): the batch is sharded over that many gradient worker threads, worker start-up excluded.
 */
export async function timeTrainLoop(backend: 'wasm' | 'cpu', warmup: number, steps: number, workers = 1): Promise<LoopTiming> {
  const active = await activateBackend(backend)
  const { model, optimizer } = newModel()
  const parallel = workers > 1 ? await ParallelStepper.start(model, active.name, { count: workers, spawn: (workerData) => new Worker(GRADIENT_WORKER, { workerData }) }) : null
  const marks: number[] = []
  async function* batches(): AsyncGenerator<TensorBatch> {
    for (let i = 0; i < warmup + steps; i++) yield makeBatch()
  }
  try {
    await trainLoop({
      model,
      optimizer,
      epochs: 1,
      batchSize: BATCH,
      batchesPerEpoch: warmup + steps,
      trainBatches: () => batches(),
      ...(parallel ? { stepper: parallel.step } : {}),
      callbacks: [{ onEpochBegin: () => void marks.push(performance.now()), onBatchEnd: () => void marks.push(performance.now()) }]
    })
  } finally {
    await parallel?.dispose()
    model.dispose()
    optimizer.dispose()
  }
  const stepMs = marks.slice(1).map((mark, i) => mark - marks[i]!).slice(warmup)
  const medianStepMs = median(stepMs)
  const label = parallel ? `${active.label}, data-parallel over ${workers} gradient workers` : active.label
  return { backend: active.name, label, stepMs, medianStepMs, imagesPerSecond: (BATCH * 1000) / medianStepMs }
}

export interface KernelTime {
  name: string
  /** Input shapes (detailed list only). */
  shapes: string
  calls: number
  /** Time inside the kernel minus time in kernels it called (composed kernels call others), ms per step. */
  selfMs: number
}

export interface StepProfile {
  forwardMs: number
  forwardBackwardMs: number
  /** optimizer.applyGradients on the gradients of the forward + backward phase. */
  updateMs: number
  fullStepMs: number
  /** Wall time of one profiled step and the sum of all kernels' self time in it. */
  profiledStepMs: number
  kernelMs: number
  /** Per kernel name, and per kernel name + input shapes; both sorted by self time. */
  kernels: KernelTime[]
  detailed: KernelTime[]
}

type TimedBackend = { time(f: () => void): Promise<{ kernelMs: number }> }

/**
 * Where a wasm training step spends its time: forward (loss read back), forward + backward (gradients of
 * all weights, no update), the full minimize step, and per-kernel self time from tf.profile.
 */
export async function profileWasmStep(warmup: number, steps: number, profiledSteps = 3): Promise<StepProfile> {
  await activateBackend('wasm')
  const { model, optimizer } = newModel()
  const batch = makeBatch()
  const loss = () => crossEntropy(model.apply(batch.xs, { training: true }) as tf.Tensor, batch.ys)
  const fullStep = () => {
    const value = optimizer.minimize(loss, true)!
    value.dataSync()
    value.dispose()
  }
  try {
    // Interleaved (forward; forward + backward; Adam update of those gradients; full minimize step; forward; …)
    // so that load from elsewhere on the machine hits all phases alike.
    const ms: number[][] = [[], [], [], []]
    const time = (k: number, work: () => void, record: boolean) => {
      const started = performance.now()
      work()
      if (record) ms[k]!.push(performance.now() - started)
    }
    for (let i = 0; i < warmup + steps; i++) {
      const record = i >= warmup
      time(0, () => tf.tidy(() => void loss().dataSync()), record)
      let grads: tf.NamedTensorMap = {}
      time(1, () => {
        const result = tf.variableGrads(loss)
        result.value.dataSync()
        result.value.dispose()
        grads = result.grads
      }, record)
      time(2, () => {
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })))
        // Adam's updates run eagerly on wasm; reading one variable back makes sure they are done.
        model.trainableWeights[0]!.read().dataSync()
      }, record)
      tf.dispose(grads)
      time(3, fullStep, record)
    }
    const [forwardMs, forwardBackwardMs, updateMs, fullStepMs] = ms.map(median) as [number, number, number, number]

    // Self time per kernel: wrap the backend's timer so a kernel's time excludes the kernels it ran.
    const backend = tf.backend() as unknown as TimedBackend
    const childMs: number[] = []
    backend.time = (f) => {
      childMs.push(0)
      const started = performance.now()
      f()
      const total = performance.now() - started
      const children = childMs.pop()!
      if (childMs.length > 0) childMs[childMs.length - 1]! += total
      return Promise.resolve({ kernelMs: total - children })
    }
    const byName = new Map<string, KernelTime>()
    const byShape = new Map<string, KernelTime>()
    const add = (map: Map<string, KernelTime>, key: string, name: string, shapes: string, ms: number) => {
      const entry = map.get(key) ?? { name, shapes, calls: 0, selfMs: 0 }
      entry.calls += 1 / profiledSteps
      entry.selfMs += ms / profiledSteps
      map.set(key, entry)
    }
    let profiledMs = 0
    try {
      for (let i = 0; i < profiledSteps; i++) {
        const started = performance.now()
        const info = await tf.profile(fullStep)
        profiledMs += performance.now() - started
        for (const kernel of info.kernels) {
          const shapes = kernel.inputShapes.map((shape) => (shape ? `[${shape.join(',')}]` : '?')).join(' ')
          add(byName, kernel.name, kernel.name, '', kernel.kernelTimeMs as number)
          add(byShape, `${kernel.name} ${shapes}`, kernel.name, shapes, kernel.kernelTimeMs as number)
        }
      }
    } finally {
      delete (backend as Partial<TimedBackend>).time // back to the prototype's timer
    }
    const sorted = (map: Map<string, KernelTime>) => [...map.values()].sort((a, b) => b.selfMs - a.selfMs)
    const kernels = sorted(byName)
    const kernelMs = kernels.reduce((sum, k) => sum + k.selfMs, 0)
    return { forwardMs, forwardBackwardMs, updateMs, fullStepMs, profiledStepMs: profiledMs / profiledSteps, kernelMs, kernels, detailed: sorted(byShape) }
  } finally {
    batch.xs.dispose()
    batch.ys.dispose()
    model.dispose()
    optimizer.dispose()
  }
}
