import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunResult } from '../../../../src-main/contract/types'
import { decodeExample } from '../../../../src-main/classifier/decode'
import { evaluate } from '../../../../src-main/training/loop/train-loop'
import { deserializeModel } from '../../../../src-main/tfjs/model-serialization'
import { RESTARTED, type TrainInput } from '../../../../src-main/training/run-training'
import { trainingJob } from '../../../../src-main/workers/training-job'
import { loadTrainingExamples } from '../../../../src-main/db/queries/training-data'
import { recordEpoch } from '../../../../src-main/db/queries/training-runs'
import { imageBatches } from '../../../../src-main/training/seed-cnn-plug'
import { withProjectDb } from '../../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'
import {
  createTrainingProject,
  lookPng,
  queueRun,
  recordingContext,
  splitGroups,
  trainSettings,
  type Look
} from '../../../helpers/training-project'
import { checkpointOf, checkpointSteps, epochsOf, inputFor, runOf, storedModel } from './job-helpers'

// The real training job on a real project: reddish and bluish PNGs imported into train/val/test
// folders, a queued run, trainRun with a job context, and what it leaves in the project file.

let dir: string
/** 32 training images (20 red, 12 blue: imbalanced on purpose), 10 for validation, 10 for testing. */
let project: string
/** 24 training images, and validation images whose looks are swapped: learning makes val worse. */
let misleading: string

beforeAll(async () => {
  dir = makeTempDir('pictor-train-')
  project = (await createTrainingProject(join(dir, 'main'), splitGroups({ train: [20, 12], val: [5, 5], test: [5, 5] }))).projectPath
  misleading = (
    await createTrainingProject(join(dir, 'misleading'), [
      ...splitGroups({ train: [12, 12] }),
      { dir: 'val/red', look: 'blue', count: 4 },
      { dir: 'val/blue', look: 'red', count: 4 }
    ])
  ).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

/** What the stored model predicts for a fresh picture of `look` (one it never saw). */
async function predictFresh(path: string, runId: number, look: Look): Promise<string> {
  const model = await deserializeModel(storedModel(path, runId)!)
  const file = join(dir, `fresh-${look}.png`)
  writeFileSync(file, await lookPng(look, 900_001))
  const pixels = await decodeExample(file, { width: 20, height: 20, channels: 3 })
  const index = tf.tidy(() => {
    const input = tf.tensor4d(Float32Array.from(pixels, (value) => value / 255), [1, 20, 20, 3])
    return tf.argMax(model.predict(input) as tf.Tensor, -1).dataSync()[0]!
  })
  model.dispose()
  return runOf(path, runId).classNames[index]!
}

describe('trainRun', () => {
  it('trains to done, stores every epoch and a model that tells the classes apart', async () => {
    const settings = trainSettings({ epochs: 3 })
    const runId = queueRun(project, settings)
    const context = recordingContext()
    const result = await trainingJob(inputFor(project, runId, settings, false), context)

    // 10 validation images: the run says they are too few to compare runs by (32 training images are too few to hold out from).
    expect(result).toMatchObject({ epochsRun: 3, bestEpoch: null, stoppedEarly: false, notes: [expect.stringMatching(/^only 10 validation images: /)] })
    expect(result.valAccuracy).toBeGreaterThanOrEqual(0.9)
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.9)
    expect(result.imagesPerSecond).toBeGreaterThan(0)
    const stored = runOf(project, runId)
    expect(stored).toMatchObject({ status: 'done', backend: 'wasm', hasModel: true, resumable: false, error: null, summary: result })
    expect(stored.classNames.toSorted()).toEqual(['blue', 'red'])
    expect(stored.startedAt).toEqual(expect.any(Number))
    expect(stored.finishedAt).toBeGreaterThanOrEqual(stored.startedAt!)
    expect(stored.epochs.map((epoch) => epoch.epoch)).toEqual([0, 1, 2])
    expect(stored.epochs.at(-1)!.valAccuracy).toEqual(expect.any(Number))
    expect(checkpointOf(project, runId)).toBeUndefined()

    expect(await predictFresh(project, runId, 'red')).toBe('red')
    expect(await predictFresh(project, runId, 'blue')).toBe('blue')

    const ends = context.updates.filter((update) => update.detail?.epochMetrics)
    expect(ends.map((update) => update.detail!.epochMetrics)).toEqual(stored.epochs)
    expect(ends.every((update) => update.important && update.detail!.runId === runId)).toBe(true)
  })

  it('resumes a cancelled run from its checkpoint, continuing the epochs and the optimizer’s steps', async () => {
    // 32 training images in batches of 8: 4 optimizer steps per epoch.
    const settings = trainSettings({ epochs: 4 })
    const runId = queueRun(project, settings)
    const input = inputFor(project, runId, settings, false)
    const cancelAfter = (epoch: number) => recordingContext((update) => update.detail?.epochMetrics?.epoch === epoch)

    await expect(trainingJob(input, cancelAfter(1))).rejects.toThrow()
    expect(runOf(project, runId)).toMatchObject({ status: 'cancelled', hasModel: false, resumable: true })
    expect(epochsOf(project, runId)).toEqual([0, 1])
    expect(checkpointOf(project, runId)!.epoch).toBe(1)
    expect(checkpointSteps(project, runId)).toBe(8)

    const second = cancelAfter(2)
    await expect(trainingJob({ ...input, resume: true }, second)).rejects.toThrow()
    expect(second.updates.find((update) => update.detail)!.detail!.epoch).toBe(2)
    expect(epochsOf(project, runId)).toEqual([0, 1, 2])
    expect(checkpointOf(project, runId)!.epoch).toBe(2)
    // 12, not 4: Adam's step count came back with the checkpoint and kept counting.
    expect(checkpointSteps(project, runId)).toBe(12)

    const last = recordingContext()
    const result = await trainingJob({ ...input, resume: true }, last)
    expect(runOf(project, runId)).toMatchObject({ status: 'done', hasModel: true, resumable: false, error: null })
    expect(epochsOf(project, runId)).toEqual([0, 1, 2, 3])
    expect(checkpointOf(project, runId)).toBeUndefined()
    expect(result.notes).toContain('resumed after epoch 3')
    expect(new Set(last.updates.filter((update) => update.detail).map((update) => update.detail!.epoch))).toEqual(new Set([3]))

    // The same settings without interruption end with the same weights: nothing was lost or replayed.
    const straightId = queueRun(project, settings)
    await trainingJob({ ...input, runId: straightId }, recordingContext())
    const weights = (id: number) => new Float32Array(storedModel(project, id)!.weights.slice().buffer)
    const [resumed, straight] = [weights(runId), weights(straightId)]
    expect(resumed.length).toBe(straight.length)
    const worst = resumed.reduce((max, value, i) => Math.max(max, Math.abs(value - straight[i]!)), 0)
    expect(worst).toBeLessThan(1e-4)
  })

  it('resuming a run without a checkpoint restarts it from scratch with the same settings, and its notes say so', async () => {
    const settings = trainSettings({ epochs: 2 })
    const runId = queueRun(project, settings)
    // Killed after its first epoch was recorded but before that epoch's checkpoint was written.
    withProjectDb(project, (db) => recordEpoch(db, runId, { epoch: 0, loss: 9, accuracy: 0, valLoss: null, valAccuracy: null, imagesPerSecond: 1, seconds: 1, batchSize: 8 }))
    const result = await trainingJob(inputFor(project, runId, settings, true), recordingContext())
    expect(result.notes).toContain(RESTARTED)
    expect(result.epochsRun).toBe(2)
    expect(runOf(project, runId)).toMatchObject({ status: 'done', hasModel: true, error: null })
    expect(epochsOf(project, runId)).toEqual([0, 1])
    expect(runOf(project, runId).epochs[0]!.loss).not.toBe(9)
  })

  /** The stored model's loss and accuracy on the project's validation images. */
  async function validate(path: string, runId: number, settings: TrainInput['settings']) {
    const model = await deserializeModel(storedModel(path, runId)!)
    const { classes, examples } = withProjectDb(path, loadTrainingExamples)
    const batches = imageBatches(examples, classes.length, settings, new AbortController().signal).evaluationBatches('val', 8)
    const evaluation = await evaluate(model, batches)
    model.dispose()
    return evaluation!
  }

  it('stops early when validation stops improving, with the best epoch’s weights', async () => {
    const settings = trainSettings({ epochs: 15, patience: 2 })
    const runId = queueRun(misleading, settings)
    const result: RunResult = await trainingJob(inputFor(misleading, runId, settings, false), recordingContext())
    const epochs = runOf(misleading, runId).epochs
    expect(result.stoppedEarly).toBe(true)
    expect(result.epochsRun).toBeLessThan(15)
    expect(result.epochsRun).toBe(epochs.length)
    expect(result.bestEpoch).toBe(result.epochsRun - 3)
    expect(result.notes).toContain('stopped early: no improvement in valLoss for 2 epochs')
    // No test folder here: nothing to report.
    expect(result.testAccuracy).toBeNull()
    const best = epochs[result.bestEpoch!]!
    expect(Math.min(...epochs.map((epoch) => epoch.valLoss!))).toBe(best.valLoss)
    expect(epochs.at(-1)!.valLoss).toBeGreaterThan(best.valLoss!)
    // The stored model holds the best epoch's weights: its validation loss is the best one again.
    const evaluation = await validate(misleading, runId, settings)
    expect(evaluation.loss).toBeCloseTo(best.valLoss!, 4)
    expect(result.valAccuracy).toBe(evaluation.accuracy)
  })

  it('keeps counting epochs without improvement across a resume', async () => {
    const settings = trainSettings({ epochs: 15, patience: 3 })
    const runId = queueRun(misleading, settings)
    const input = inputFor(misleading, runId, settings, false)
    await expect(trainingJob(input, recordingContext((update) => update.detail?.epochMetrics?.epoch === 1))).rejects.toThrow()
    const [first, second] = runOf(misleading, runId).epochs
    // Epoch 0 is the best (validation only gets worse); epoch 1 was one epoch without improvement.
    expect(second!.valLoss).toBeGreaterThan(first!.valLoss!)
    expect(checkpointOf(misleading, runId)!.state).toEqual({ earlyStopping: { best: first!.valLoss, bestEpoch: 0, wait: 1 } })

    const result = await trainingJob({ ...input, resume: true }, recordingContext())
    // Two more epochs make three without improvement: it stops after epoch 3, not epoch 4.
    expect(epochsOf(misleading, runId)).toEqual([0, 1, 2, 3])
    expect(result).toMatchObject({
      stoppedEarly: true,
      bestEpoch: 0,
      notes: [expect.stringMatching(/^only 8 validation images: /), 'resumed after epoch 2', 'stopped early: no improvement in valLoss for 3 epochs']
    })
    // Epoch 0's weights were never in the checkpoint: the resumed run keeps the ones it resumed with.
    expect((await validate(misleading, runId, settings)).loss).toBeCloseTo(second!.valLoss!, 4)
  })

  it('runs with class weights and with oversampling, each changing what an epoch is', async () => {
    const firstEpoch = async (overrides: Parameters<typeof trainSettings>[0]) => {
      const settings = trainSettings({ epochs: 1, ...overrides })
      const runId = queueRun(project, settings)
      const context = recordingContext()
      await trainingJob(inputFor(project, runId, settings, false), context)
      expect(runOf(project, runId).status).toBe('done')
      return { metrics: runOf(project, runId).epochs[0]!, batches: context.updates.find((update) => update.detail)!.detail!.batchesPerEpoch }
    }
    const plain = await firstEpoch({})
    const weighted = await firstEpoch({ classWeights: true })
    const oversampled = await firstEpoch({ oversample: true })
    // 32 images: 4 batches of 8; oversampled, both classes are drawn 20 times: 40 images, 5 batches.
    expect([plain.batches, weighted.batches, oversampled.batches]).toEqual([4, 4, 5])
    // Same data order and initial weights, but each sample's loss is scaled by 32 / (2 × its class size).
    expect(weighted.metrics.loss).not.toBeCloseTo(plain.metrics.loss, 4)
    expect(oversampled.metrics.imagesPerSecond).toBeGreaterThan(0)
  })
})
