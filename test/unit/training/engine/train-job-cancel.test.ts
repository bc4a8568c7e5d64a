import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { trainingJob } from '../../../../src-main/workers/training-job'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../../helpers/training-project'
import { checkpointOf, epochsOf, inputFor, runOf } from './job-helpers'

// Cancelling the real training job, and what a run leaves behind in the backend and in its
// summary when it ends early or resumes.

let dir: string
/** 24 training images (3 batches of 8 per epoch), 4 for validation. */
let project: string

beforeAll(async () => {
  dir = makeTempDir('pictor-train-cancel-')
  project = (await createTrainingProject(join(dir, 'main'), splitGroups({ train: [12, 12], val: [2, 2] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

describe('cancelling trainRun', () => {
  it('drops a half-done epoch on cancel: the checkpoint and the epochs end at the last finished one', async () => {
    const settings = trainSettings({ epochs: 3 })
    const runId = queueRun(project, settings)
    // Cancelled during epoch 1's second batch.
    const context = recordingContext((update) => update.detail?.epoch === 1 && update.detail.batch === 2 && !update.important)
    await expect(trainingJob(inputFor(project, runId, settings, false), context)).rejects.toThrow()
    expect(runOf(project, runId)).toMatchObject({ status: 'cancelled', hasModel: false, resumable: true })
    expect(epochsOf(project, runId)).toEqual([0])
    expect(checkpointOf(project, runId)!.epoch).toBe(0)
  })

  // Regression test for a fixed bug: cancelling never takes train-job's own cancel path. The data pipeline watches the same
  // signal and throws the DOMException AbortError on the next batch, before CancelOnSignal can end
  // the loop, so trainRun rejects with "This operation was aborted" (no AppError CANCELLED) and
  // stores that as the run's error instead of "training was cancelled; it can be resumed…". (Were
  // that path reached, trainRun's catch would still overwrite the summary it writes with null.)
  it('rejects a cancelled run with CANCELLED and the resumable message', async () => {
    const settings = trainSettings({ epochs: 2 })
    const runId = queueRun(project, settings)
    const context = recordingContext((update) => update.detail?.epochMetrics?.epoch === 0)
    const error = await trainingJob(inputFor(project, runId, settings, false), context).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'CANCELLED' })
    expect(runOf(project, runId).error).toBe('training was cancelled; it can be resumed from its last finished epoch')
  })

  // Regression test for a fixed bug: after a resume, summary.epochsRun counts only the epochs of the last attempt (here 1 of
  // 2), so the run list shows "1/2" and `pictor train --resume` prints "epochs": 1 for a model
  // trained for 2 epochs; imagesPerSecond likewise averages the last attempt only.
  it('counts every epoch of a resumed run in its summary', async () => {
    const settings = trainSettings({ epochs: 2 })
    const runId = queueRun(project, settings)
    const input = inputFor(project, runId, settings, false)
    await expect(trainingJob(input, recordingContext((update) => update.detail?.epochMetrics?.epoch === 0))).rejects.toThrow()
    const result = await trainingJob({ ...input, resume: true }, recordingContext())
    expect(epochsOf(project, runId)).toEqual([0, 1])
    expect(result.epochsRun).toBe(2)
  })

  /** Trains a fresh 1-epoch run to the end (so tfjs' lasting helpers exist before a count). */
  const finishedRun = async (epochs = 1) => {
    const settings = trainSettings({ epochs })
    await trainingJob(inputFor(project, queueRun(project, settings), settings, false), recordingContext())
  }

  // Regression test for a fixed bug: a finished run leaks one tensor per epoch: the iteration-count scalar that
  // optimizer.getWeights() creates in every Checkpoint.onEpochEnd (see callbacks.test.ts).
  it('leaves no tensors behind when a run finishes', async () => {
    await finishedRun()
    const before = tf.memory().numTensors
    await finishedRun(3)
    expect(tf.memory().numTensors).toBe(before)
  })

  // Regression test for a fixed bug: trainRun disposes the model and the optimizer only on success. A cancelled (or failed)
  // run leaves its weights and Adam's slots in the backend: harmless in a worker that exits,
  // a leak for any caller that runs training in-process.
  it('leaves no tensors behind when a run is cancelled', async () => {
    await finishedRun()
    const settings = trainSettings({ epochs: 2 })
    const runId = queueRun(project, settings)
    const before = tf.memory().numTensors
    const context = recordingContext((update) => update.detail?.epochMetrics?.epoch === 0)
    await expect(trainingJob(inputFor(project, runId, settings, false), context)).rejects.toThrow()
    expect(tf.memory().numTensors).toBe(before)
  })
})
