import { Worker } from 'node:worker_threads'
import { beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { buildSeedCnn } from '../../../src-main/training/models/cnn'
import type { GradientWorkers } from '../../../src-main/training/parallel/parallel-stepper'
import { ParallelStepper } from '../../../src-main/training/parallel/parallel-stepper'

// A gradient worker that never answers (stuck loading, or stuck in a step) must not make a run
// uncancellable or a headless `pictor train` hang: a cancel stops the workers at once, and a start
// that takes too long fails with a sentence. The workers here are real threads that never reply.

/** Workers that start and then say nothing, and a count of those still running. */
function silentWorkers(extra: Partial<GradientWorkers> = {}) {
  const started: Worker[] = []
  let exited = 0
  const workers: GradientWorkers = {
    count: 2,
    spawn() {
      const worker = new Worker('setInterval(() => {}, 1000)', { eval: true })
      worker.once('exit', () => void exited++)
      started.push(worker)
      return worker
    },
    ...extra
  }
  return { workers, running: () => started.length - exited }
}

beforeAll(async () => {
  await activateBackend('wasm')
})

const cnn = () => buildSeedCnn({ height: 20, width: 20, channels: 3, classes: 2, seed: 1 })

describe('data-parallel training that stops', () => {
  it('a cancel during the workers’ start stops them at once and rejects the start', async () => {
    const model = cnn()
    const silent = silentWorkers()
    const cancel = new AbortController()
    try {
      setTimeout(() => cancel.abort(), 200)
      const started = Date.now()
      await expect(ParallelStepper.start(model, 'wasm', silent.workers, cancel.signal)).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(10_000)
      await expect.poll(silent.running).toBe(0)
    } finally {
      model.dispose()
    }
  })

  it('a start that takes too long fails with a sentence and leaves no worker running', async () => {
    const model = cnn()
    const silent = silentWorkers({ startTimeoutMs: 300 })
    try {
      await expect(ParallelStepper.start(model, 'wasm', silent.workers)).rejects.toThrow('the gradient workers did not start within 0.3 s')
      await expect.poll(silent.running).toBe(0)
    } finally {
      model.dispose()
    }
  })

  it('an already cancelled run starts no worker', async () => {
    const model = cnn()
    const silent = silentWorkers()
    try {
      await expect(ParallelStepper.start(model, 'wasm', silent.workers, AbortSignal.abort())).rejects.toThrow()
      expect(silent.running()).toBe(0)
    } finally {
      model.dispose()
    }
  })
})
