import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ProgressUpdate } from '../../../../src-main/jobs/job'
import { runInWorker } from '../../../../src-main/jobs/worker-job'
import type { RunResult } from '../../../../src-main/contract/types'
import type { TrainInput } from '../../../../src-main/training/run-training'
import trainWorkerPath from '../../../../src-main/workers/train-worker?modulePath'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'
import { createTrainingProject, queueRun, splitGroups, trainSettings } from '../../../helpers/training-project'
import { inputFor, runOf } from './job-helpers'

// The real thing the app does: training in the built worker thread, cancelled by a message. With
// every batch in the pixel cache the loop never waits for I/O, so this only passes if the loop
// gives the worker's event loop a turn to receive the cancel.

let dir: string
let project: string

beforeAll(async () => {
  dir = makeTempDir('pictor-worker-cancel-')
  project = (await createTrainingProject(join(dir, 'main'), splitGroups({ train: [8, 8], val: [2, 2] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

it('a training worker stops promptly when cancelled, long before its 500 epochs would end', async () => {
  const settings = trainSettings({ epochs: 500, batchSize: 8 })
  const runId = queueRun(project, settings)
  const controller = new AbortController()
  let cancelledAt = 0
  const onProgress = (update: ProgressUpdate) => {
    // After the second epoch every image is cached: no I/O left to yield on.
    if (update.detail?.epochMetrics?.epoch === 1 && !controller.signal.aborted) {
      cancelledAt = performance.now()
      controller.abort()
    }
  }
  const input: TrainInput = inputFor(project, runId, settings, false)
  const outcome = await runInWorker<TrainInput, RunResult>(trainWorkerPath, input, { signal: controller.signal, onProgress }).catch(
    (error: unknown) => error
  )
  const stoppedAfter = performance.now() - cancelledAt
  expect(outcome).toMatchObject({ code: 'CANCELLED' })
  // A generous bound for a loaded machine; without the fix it ran on for all 500 epochs (~30 s).
  expect(stoppedAfter).toBeLessThan(5000)
  expect(runOf(project, runId)).toMatchObject({ status: 'cancelled', resumable: true })
}, 120_000)
