// `npx tsx test/bench/wasm-kernels-bench.ts`: images/s of one training step (forward, backward, Adam update)
// of the seed CNN — Conv32-Pool-Conv64-Pool-Conv64-Flatten-Dense64-Dense10 on 32×32×3, batch 64 — on the
// wasm backend with the kernels of src-main/tfjs/kernels (default options, and with the opt-in
// fast Tile/Sum/Mean — the app's setting; each also with batch norm + dropout added), on wasm with the stock
// Conv2DBackpropInput or the stock MaxPoolGrad instead, the app's setting as it was before the transposed
// BatchMatMul / copy-free Identity / batched-conv filter gradient / tiled-window MaxPoolGrad (and with each
// of those alone), and on the
// cpu backend (2 steps only: very slow). Wall time and this process's CPU time per step are both reported:
// on a shared machine the CPU time is the steadier of the two.
//   PICTOR_BENCH_ROUNDS=N  interleaved rounds of 2 timed steps per wasm configuration (default 5)
//   PICTOR_BENCH_CPU=0     skip the cpu run (2 steps of about a minute each)
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import {
  type RegisterWasmGradientOptions,
  registerWasmGradientKernels,
  unregisterWasmGradientKernels
} from '../../src-main/tfjs/kernels/register-wasm-gradients'
import { snapshotProcessHandlers } from '../../src-main/tfjs/kernels/wasm-process-handlers'
import { runConditions } from './bench-util'

const BATCH = 64
const ROUNDS = Number(process.env.PICTOR_BENCH_ROUNDS ?? 5)
const STEPS_PER_ROUND = 2
const RUN_CPU = process.env.PICTOR_BENCH_CPU !== '0'

function seedCnn(withBatchNorm: boolean): tfl.Sequential {
  const model = tfl.sequential()
  model.add(tfl.layers.conv2d({ inputShape: [32, 32, 3], filters: 32, kernelSize: 3, activation: 'relu' }))
  if (withBatchNorm) model.add(tfl.layers.batchNormalization())
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  model.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }))
  if (withBatchNorm) model.add(tfl.layers.batchNormalization())
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  model.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }))
  model.add(tfl.layers.flatten())
  model.add(tfl.layers.dense({ units: 64, activation: 'relu' }))
  if (withBatchNorm) model.add(tfl.layers.dropout({ rate: 0.5 }))
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }))
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' })
  return model
}

interface Config {
  label: string
  options: RegisterWasmGradientOptions
  withBatchNorm: boolean
}

interface Measured {
  label: string
  stepMs: number[]
  cpuMs: number[]
  imagesPerSecond: number
  tensorsGrew: number
}

const medianOf = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

function summarize(label: string, stepMs: number[], cpuMs: number[], tensorsGrew: number | null): Measured {
  const sorted = [...stepMs].sort((a, b) => a - b)
  const median = medianOf(stepMs)
  const imagesPerSecond = (BATCH * 1000) / median
  const cpuMedian = medianOf(cpuMs)
  console.log(
    `${label.padEnd(60)} ${imagesPerSecond.toFixed(1).padStart(7)} img/s  (median step ${median.toFixed(0)} ms, ` +
      `min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)}; CPU ${cpuMedian.toFixed(0)} ms/step = ` +
      `${((BATCH * 1000) / cpuMedian).toFixed(0)} img/CPU-s; ${stepMs.length} steps` +
      (tensorsGrew == null ? ')' : `; tensors +${tensorsGrew})`)
  )
  return { label, stepMs, cpuMs, imagesPerSecond, tensorsGrew: tensorsGrew ?? 0 }
}

function batch(): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.randomUniform([BATCH, 32, 32, 3], 0, 1, 'float32', 1)
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 2) as tf.Tensor1D, 10)
  return { x, y }
}

/**
 * Wasm configurations measured in interleaved rounds (each round runs every configuration for
 * STEPS_PER_ROUND steps), so that the machine's drift affects them alike.
 */
async function measureWasm(configs: Config[]): Promise<Measured[]> {
  const { x, y } = batch()
  const models = configs.map((config) => seedCnn(config.withBatchNorm))
  const steps = configs.map((): number[] => [])
  const cpu = configs.map((): number[] => [])
  const tensorsGrew = configs.map(() => 0)
  const configure = (options: RegisterWasmGradientOptions) => {
    unregisterWasmGradientKernels()
    registerWasmGradientKernels(options)
  }
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [i, config] of configs.entries()) {
      configure(config.options)
      const before = tf.memory().numTensors
      for (let s = 0; s < STEPS_PER_ROUND; s++) {
        const started = performance.now()
        const cpuStarted = process.cpuUsage()
        await models[i]!.trainOnBatch(x, y) // resolves once the loss has been read, i.e. the step has run
        const cpuUsed = process.cpuUsage(cpuStarted)
        if (round > 0) {
          // round 0 warms up (and creates Adam's slots)
          steps[i]!.push(performance.now() - started)
          cpu[i]!.push((cpuUsed.user + cpuUsed.system) / 1000)
        }
      }
      if (round > 0) tensorsGrew[i]! += tf.memory().numTensors - before
    }
  }
  configure({})
  tf.dispose([x, y])
  for (const model of models) model.dispose()
  return configs.map((config, i) => summarize(config.label, steps[i]!, cpu[i]!, tensorsGrew[i]!))
}

async function main(): Promise<void> {
  const require = createRequire(import.meta.url)
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/')
  const handlers = snapshotProcessHandlers()
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise')
  handlers.removeAdded()
  console.log(`tfjs ${tf.version_core}, backend ${tf.getBackend()}, batch ${BATCH}, Adam; ${ROUNDS} interleaved rounds of ${STEPS_PER_ROUND} steps`)
  // Every configuration (and the cpu backend) trains in this one thread: the ratios compare 1 thread with 1 thread.
  console.log(runConditions({ 'every configuration': 'tfjs in this thread, 1 thread (wasm and cpu run one thread in Node)' }))
  console.log(`registerWasmGradientKernels() registers: ${registerWasmGradientKernels().join(', ')}`)

  const fast = { fastBroadcastAndReductions: true }
  // The app's setting (fast) as it was before the transposed BatchMatMul, the copy-free Identity, the
  // batched-conv filter gradient and the tiled-window MaxPoolGrad; then with each of them alone.
  const before = { ...fast, replaceTransposedMatMul: false, replaceIdentity: false, batchedConvFilterGradient: false, tiledMaxPoolGrad: false }
  const [composed, composedFast, stockInput, stockPool, bn, bnFast, old, onlyMatMul, onlyIdentity, onlyBatchedConv, onlyTiledPool] = await measureWasm([
    { label: 'wasm, registerWasmGradientKernels() defaults', options: {}, withBatchNorm: false },
    { label: 'wasm, defaults + fastBroadcastAndReductions', options: fast, withBatchNorm: false },
    { label: 'wasm, defaults but stock Conv2DBackpropInput', options: { replaceConv2DBackpropInput: false }, withBatchNorm: false },
    { label: 'wasm, defaults but stock MaxPoolGrad (wrong ≤ 0)', options: { replaceMaxPoolGrad: false }, withBatchNorm: false },
    { label: 'wasm, defaults; seed CNN + BN + dropout', options: {}, withBatchNorm: true },
    { label: 'wasm, defaults + fastBroadcastAndReductions; + BN + dropout', options: fast, withBatchNorm: true },
    { label: 'wasm, fast…, before (as at e4cd723: none of the four below)', options: before, withBatchNorm: false },
    { label: 'wasm, fast…, before + transposed BatchMatMul only', options: { ...before, replaceTransposedMatMul: true }, withBatchNorm: false },
    { label: 'wasm, fast…, before + copy-free Identity only', options: { ...before, replaceIdentity: true }, withBatchNorm: false },
    { label: 'wasm, fast…, before + batched-conv filter gradient only', options: { ...before, batchedConvFilterGradient: true }, withBatchNorm: false },
    { label: 'wasm, fast…, before + tiled-window MaxPoolGrad only', options: { ...before, tiledMaxPoolGrad: true }, withBatchNorm: false }
  ])

  const ratio = (a: Measured, b: Measured) => `${(a.imagesPerSecond / b.imagesPerSecond).toFixed(2)}×`
  console.log('')
  console.log(`composed vs stock Conv2DBackpropInput (seed CNN step): ${ratio(composed!, stockInput!)}`)
  console.log(`composed vs stock MaxPoolGrad (seed CNN step): ${ratio(composed!, stockPool!)}`)
  console.log(`fastBroadcastAndReductions: seed CNN ${ratio(composedFast!, composed!)}, with BN + dropout ${ratio(bnFast!, bn!)}`)
  const cpuRatio = (a: Measured, b: Measured) => `${(medianOf(b.cpuMs) / medianOf(a.cpuMs)).toFixed(2)}×`
  console.log(`app setting now vs before (seed CNN step): ${ratio(composedFast!, old!)} wall, ${cpuRatio(composedFast!, old!)} CPU`)
  for (const one of [onlyMatMul!, onlyIdentity!, onlyBatchedConv!, onlyTiledPool!]) {
    console.log(`  ${one.label.replace('wasm, fast…, before + ', '')} alone: ${ratio(one, old!)} wall, ${cpuRatio(one, old!)} CPU`)
  }

  if (RUN_CPU) {
    await tf.setBackend('cpu')
    const model = seedCnn(false)
    const { x, y } = batch()
    const stepMs: number[] = []
    const cpuMs: number[] = []
    for (let s = 0; s < 2; s++) {
      const started = performance.now()
      const cpuStarted = process.cpuUsage()
      await model.trainOnBatch(x, y)
      const cpuUsed = process.cpuUsage(cpuStarted)
      stepMs.push(performance.now() - started)
      cpuMs.push((cpuUsed.user + cpuUsed.system) / 1000)
    }
    const cpu = summarize('cpu backend, stock kernels (seed CNN; no warm-up)', stepMs, cpuMs, null)
    console.log(`wasm (defaults) / cpu: ${(composed!.imagesPerSecond / cpu.imagesPerSecond).toFixed(0)}×; with fastBroadcastAndReductions: ${(composedFast!.imagesPerSecond / cpu.imagesPerSecond).toFixed(0)}×`)
    tf.dispose([x, y])
    model.dispose()
  }
}

await main()
