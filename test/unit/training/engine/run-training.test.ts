import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EpochMetrics } from '../../../../src-main/contract/types'
import { activateBackend } from '../../../../src-main/tfjs/backend'
import { runTraining, type RunInfo } from '../../../../src-main/training/run-training'
import { seedCnnPlug } from '../../../../src-main/training/seed-cnn-plug'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../../helpers/training-project'
import { inputFor, runOf, withMemoryLimit } from './job-helpers'

// The lifecycle itself (runTraining), with the seed CNN's real plug: what any plug gets for free.

let dir: string
let project: string

beforeAll(async () => {
  dir = makeTempDir('pictor-lifecycle-')
  project = (await createTrainingProject(join(dir, 'main'), splitGroups({ train: [12, 12], val: [4, 4] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

describe('runTraining', () => {
  it('gives the caller’s callbacks the run it trains, then every epoch', async () => {
    const settings = trainSettings({ epochs: 2 })
    const runId = queueRun(project, settings)
    const seen: RunInfo[] = []
    const epochs: EpochMetrics[] = []
    const result = await runTraining(inputFor(project, runId, settings, false), seedCnnPlug, {
      ...recordingContext(),
      callbacks: (run) => {
        seen.push(run)
        return [{ onEpochEnd: (metrics) => void epochs.push(metrics) }]
      }
    })
    expect(seen).toEqual([{ runId, backend: 'wasm', settings }])
    expect(epochs.map((epoch) => epoch.epoch)).toEqual([0, 1])
    expect(result.epochsRun).toBe(2)
    expect(runOf(project, runId).epochs).toEqual(epochs)
  })

  it('halves the batch when the backend runs out of memory, for any plug, and tells the callbacks', async () => {
    await activateBackend('wasm')
    const settings = trainSettings({ epochs: 2, batchSize: 16 })
    const runId = queueRun(project, settings)
    const notices: string[] = []
    const batchSizes: number[] = []
    const result = await runTraining(inputFor(project, runId, settings, false), withMemoryLimit(4), {
      ...recordingContext(),
      callbacks: () => [{ onNotice: (text) => void notices.push(text), onEpochEnd: (metrics) => void batchSizes.push(metrics.batchSize) }]
    })
    const halvings = ['Out of memory: retrying epoch 1 with batch size 8.', 'Out of memory: retrying epoch 1 with batch size 4.']
    // 8 validation images are too few to judge a model, and 24 training images too few to hold out from.
    const tooFew = expect.stringMatching(/^only 8 validation images: /)
    expect(notices).toEqual([tooFew, ...halvings])
    expect(result.notes).toEqual([tooFew, ...halvings])
    expect(batchSizes).toEqual([4, 4])
    expect(runOf(project, runId)).toMatchObject({ status: 'done', hasModel: true })
  })

  it('fails the run with the error when even a batch of one does not fit', async () => {
    const settings = trainSettings({ epochs: 1, batchSize: 2 })
    const runId = queueRun(project, settings)
    await expect(runTraining(inputFor(project, runId, settings, false), withMemoryLimit(0), recordingContext())).rejects.toBeInstanceOf(RangeError)
    expect(runOf(project, runId)).toMatchObject({ status: 'failed', hasModel: false })
    expect(runOf(project, runId).error).toMatch(/offset is out of bounds|Invalid typed array length|memory/i)
  })
})
