import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { decodeProbabilities } from '../../../src-main/db/queries/predictions'
import { evaluateRun } from '../../../src-main/review/evaluate-job'
import { evaluationReport } from '../../../src-main/review/evaluate-report'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'

// Evaluating a MobileNetV2 run: the predictions come from the feature cache the run filled while
// training (no backbone pass again) and its head, and are scored like any other run's.

let dir: string
let modelsDir: string
let projectPath: string
let runId: number

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-evaluate-transfer-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [4, 4], test: [2, 2] }))).projectPath
  const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', backend: 'wasm', epochs: 2 }) as TrainSettings
  runId = queueRun(projectPath, settings)
  await trainingJob({ projectPath, modelsDir, runId, settings, resume: false }, recordingContext())
}, 180_000)

afterAll(() => removeTempDir(dir))

describe('evaluating a mobilenetv2 run', () => {
  it('predicts from cached features and its head, without leaking tensors', { timeout: 120_000 }, async () => {
    const tensors = tf.memory().numTensors
    const context = recordingContext()
    const result = await evaluateRun({ projectPath, modelsDir, runId, backend: 'wasm' }, context)
    const leaked = tf.memory().numTensors - tensors
    expect(result).toMatchObject({ runId, predicted: 12, skipped: 0 })
    expect(result.engine).toMatch(/features \+ tfjs-wasm head$/)
    // Every feature was cached by training: no extraction progress, only the evaluation's own.
    expect(context.updates.some((update) => /extract/i.test(update.message))).toBe(false)
    const blobs = withProjectDb(projectPath, (db) => db.prepare('SELECT probabilities FROM predictions WHERE run_id = ?').pluck().all(runId) as Buffer[])
    expect(blobs).toHaveLength(12)
    for (const blob of blobs) {
      const probabilities = decodeProbabilities(blob)
      expect(probabilities[0]! + probabilities[1]!).toBeCloseTo(1, 5)
    }
    const evaluation = withProjectDb(projectPath, (db) => evaluationReport(db, runId, 'test'))!
    expect(evaluation).toMatchObject({ runId, count: 4, unscored: 0, stale: false, engine: result.engine })
    // Checked last so the rest is proven either way: RunClassifier.dispose must free the head too.
    expect(leaked).toBe(0)
  })
})
