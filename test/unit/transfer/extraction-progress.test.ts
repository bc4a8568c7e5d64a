import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings, TrainingProgress } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { transferTrainingJob } from '../../../src-main/workers/training-job'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'

// Issue 14: while a MobileNetV2 run extracted features the Train view said "queued", because the
// extraction's progress named no run and no phase. Each of its updates now carries the run, the
// phase 'extracting' and the counts; the loop's updates say 'training'.

let dir: string
let modelsDir: string
let projectPath: string

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-extraction-progress-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [10, 10] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

describe("a MobileNetV2 run's progress", () => {
  it('says which run extracts features, in phase "extracting", with how many of how many', async () => {
    const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', backend: 'wasm', epochs: 2, patience: 0 }) as TrainSettings
    const runId = queueRun(projectPath, settings)
    const context = recordingContext()
    await transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: false }, context)

    const details = context.updates.flatMap((update) => (update.detail ? [{ update, detail: update.detail }] : []))
    const extracting = details.filter(({ detail }) => detail.phase === 'extracting')
    const training = details.filter(({ detail }) => detail.phase === 'training')
    expect(extracting.length).toBeGreaterThan(0)
    expect(training.length).toBeGreaterThan(0)
    // Extraction comes first, and every update of either phase names this run.
    expect(details.findIndex(({ detail }) => detail.phase === 'training')).toBeGreaterThan(details.findIndex(({ detail }) => detail.phase === 'extracting'))
    for (const { detail } of details) expect(detail.runId).toBe(runId)

    const counts = extracting.map(({ detail }) => detail.extracted!)
    for (const [index, count] of counts.entries()) {
      expect(count.total).toBe(20)
      expect(count.done).toBeGreaterThanOrEqual(index === 0 ? 1 : counts[index - 1]!.done)
    }
    expect(counts.at(-1)).toEqual({ done: 20, total: 20 })
    // The job's own counts are the extraction's, and the message says the same.
    expect(extracting.at(-1)!.update).toMatchObject({ done: 20, total: 20, message: expect.stringMatching(/^Extracting features: 20\/20 images/) })
    const first: TrainingProgress = extracting[0]!.detail
    expect(first).toMatchObject({ epoch: 0, batch: 0, loss: null, accuracy: null, epochMetrics: null, backend: '' })
    for (const { detail } of training) expect(detail.extracted).toBeNull()
  }, 120_000)

  it('says the features came from the cache when a retrain extracts nothing', async () => {
    const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', backend: 'wasm', epochs: 1, patience: 0 }) as TrainSettings
    const runId = queueRun(projectPath, settings)
    const context = recordingContext()
    await transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: false }, context)
    const extracting = context.updates.filter((update) => update.detail?.phase === 'extracting')
    expect(extracting).toHaveLength(1)
    expect(extracting[0]!.detail).toMatchObject({ runId, extracted: { done: 0, total: 0 } })
    expect(extracting[0]!.message).toBe('Features: all 20 images cached')
  }, 120_000)
})
