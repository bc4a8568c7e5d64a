import { join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GradientWorkers } from '../../../src-main/training/parallel/parallel-stepper'
import { ProgressReporter } from '../../../src-main/training/callbacks/progress'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { runTraining, type RunTrainingOptions } from '../../../src-main/training/run-training'
import { seedCnnPlug } from '../../../src-main/training/seed-cnn-plug'
import { gradientWorkers } from '../../../src-main/workers/training-job'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'
import { epochsOf, inputFor, runOf, withMemoryLimit } from './engine/job-helpers'

// Whole runs of the seed CNN through the real run path with two gradient workers: progress, cancel
// and resume, early stopping, out-of-memory halving, and no thread or tensor left behind.

let dir: string
/** 24 training images (3 batches of 8 per epoch), 8 for validation. */
let project: string
/** Validation images whose looks are swapped: learning makes validation worse, so early stopping fires. */
let misleading: string

beforeAll(async () => {
  dir = makeTempDir('pictor-parallel-run-')
  project = (await createTrainingProject(join(dir, 'main'), splitGroups({ train: [12, 12], val: [4, 4] }))).projectPath
  misleading = (
    await createTrainingProject(join(dir, 'misleading'), [
      ...splitGroups({ train: [12, 12] }),
      { dir: 'val/red', look: 'blue', count: 4 },
      { dir: 'val/blue', look: 'red', count: 4 }
    ])
  ).projectPath
  await activateBackend('wasm')
}, 60_000)

afterAll(() => removeTempDir(dir))

/** Two real gradient workers, each one's exit recorded. */
function watchedWorkers(change: (data: Parameters<GradientWorkers['spawn']>[0]) => typeof data = (data) => data) {
  const base = gradientWorkers(2)
  const started: Worker[] = []
  let exited = 0
  const workers: GradientWorkers = {
    ...base,
    spawn(data) {
      const worker = base.spawn(change(data))
      worker.once('exit', () => void exited++)
      started.push(worker)
      return worker
    }
  }
  return { workers, started, running: () => started.length - exited }
}

/** runTraining as the training job calls it for a CNN, with `workers` and live progress. */
function options(workers: GradientWorkers, context = recordingContext()): RunTrainingOptions & { updates: typeof context.updates } {
  return {
    ...context,
    gradientWorkers: workers,
    callbacks: ({ runId, backend, settings }) => [new ProgressReporter(runId, settings.epochs, backend, context.onProgress)]
  }
}

describe('data-parallel runs', () => {
  it('trains through the run path on two workers with live progress, and stops them when done', async () => {
    const settings = trainSettings({ epochs: 2 })
    const runId = queueRun(project, settings)
    const watched = watchedWorkers()
    const tensorsBefore = tf.memory().numTensors
    const context = options(watched.workers)
    const result = await runTraining(inputFor(project, runId, settings, false), seedCnnPlug, context)
    expect(result.epochsRun).toBe(2)
    expect(runOf(project, runId)).toMatchObject({ status: 'done', hasModel: true })
    const batches = context.updates.filter((update) => update.detail?.phase === 'training' && update.detail.epochMetrics === null && !update.important)
    expect(batches.map((update) => [update.detail!.epoch, update.detail!.batch])).toEqual([[0, 1], [0, 2], [0, 3], [1, 1], [1, 2], [1, 3]])
    expect(batches.at(-1)!.detail!.imagesPerSecond).toBeGreaterThan(0)
    expect(context.updates.filter((update) => update.detail?.epochMetrics).map((update) => update.detail!.epochMetrics!.epoch)).toEqual([0, 1])
    expect(watched.started).toHaveLength(2)
    expect(watched.running()).toBe(0)
    expect(tf.memory().numTensors).toBe(tensorsBefore)
  }, 120_000)

  it('keeps the coordinator’s tensor count flat from step to step', async () => {
    const settings = trainSettings({ epochs: 2 })
    const runId = queueRun(project, settings)
    const counts: number[] = []
    const watched = watchedWorkers()
    await runTraining(inputFor(project, runId, settings, false), seedCnnPlug, {
      ...recordingContext(),
      gradientWorkers: watched.workers,
      callbacks: () => [{ onBatchEnd: () => void counts.push(tf.memory().numTensors) }]
    })
    // Six steps (3 per epoch): the same live tensors after each, but for the next batch already
    // fetched (none after an epoch's last), and the same in the second epoch as in the first.
    expect(counts).toHaveLength(6)
    expect(counts[1]).toBe(counts[0])
    expect(counts[2]).toBe(counts[0]! - 2)
    expect(counts.slice(3)).toEqual(counts.slice(0, 3))
  }, 120_000)

  it('cancels mid-epoch, stops its workers, and resumes from the last finished epoch', async () => {
    const settings = trainSettings({ epochs: 3 })
    const runId = queueRun(project, settings)
    const first = watchedWorkers()
    // Cancelled during epoch 1's second batch.
    const cancelling = options(first.workers, recordingContext((update) => update.detail?.epoch === 1 && update.detail.batch === 2 && !update.important))
    await expect(runTraining(inputFor(project, runId, settings, false), seedCnnPlug, cancelling)).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(runOf(project, runId)).toMatchObject({ status: 'cancelled', resumable: true })
    expect(epochsOf(project, runId)).toEqual([0])
    expect(first.running()).toBe(0)

    const second = watchedWorkers()
    const result = await runTraining(inputFor(project, runId, settings, true), seedCnnPlug, options(second.workers))
    expect(epochsOf(project, runId)).toEqual([0, 1, 2])
    expect(result).toMatchObject({ epochsRun: 3, notes: expect.arrayContaining(['resumed after epoch 1']) })
    expect(runOf(project, runId)).toMatchObject({ status: 'done', hasModel: true })
    expect(second.running()).toBe(0)
  }, 120_000)

  it('stops early and keeps the best epoch’s weights', async () => {
    const settings = trainSettings({ epochs: 15, patience: 2 })
    const runId = queueRun(misleading, settings)
    const watched = watchedWorkers()
    const result = await runTraining(inputFor(misleading, runId, settings, false), seedCnnPlug, options(watched.workers))
    const epochs = runOf(misleading, runId).epochs
    expect(result.stoppedEarly).toBe(true)
    expect(result.bestEpoch).toBe(result.epochsRun - 3)
    // The final evaluation ran on the restored weights: the best epoch's validation accuracy again.
    expect(result.valAccuracy).toBe(epochs[result.bestEpoch!]!.valAccuracy)
    expect(watched.running()).toBe(0)
  }, 120_000)

  it('halves the batch on out-of-memory with the same workers', async () => {
    const settings = trainSettings({ epochs: 2, batchSize: 16 })
    const runId = queueRun(project, settings)
    const watched = watchedWorkers()
    const notices: string[] = []
    const batchSizes: number[] = []
    const result = await runTraining(inputFor(project, runId, settings, false), withMemoryLimit(4), {
      ...recordingContext(),
      gradientWorkers: watched.workers,
      callbacks: () => [{ onNotice: (text) => void notices.push(text), onEpochEnd: (metrics) => void batchSizes.push(metrics.batchSize) }]
    })
    expect(notices.filter((notice) => notice.startsWith('Out of memory'))).toEqual([
      'Out of memory: retrying epoch 1 with batch size 8.',
      'Out of memory: retrying epoch 1 with batch size 4.'
    ])
    expect(batchSizes).toEqual([4, 4])
    expect(result.epochsRun).toBe(2)
    expect(watched.started).toHaveLength(2)
    expect(watched.running()).toBe(0)
  }, 120_000)

  it('fails the run when a worker cannot build its replica, and stops every worker', async () => {
    const settings = trainSettings({ epochs: 1 })
    const runId = queueRun(project, settings)
    const watched = watchedWorkers((data) => ({ ...data, topology: '{}' }))
    await expect(runTraining(inputFor(project, runId, settings, false), seedCnnPlug, options(watched.workers))).rejects.toThrow(/config/)
    expect(runOf(project, runId)).toMatchObject({ status: 'failed', hasModel: false })
    expect(watched.running()).toBe(0)
  }, 60_000)
})
