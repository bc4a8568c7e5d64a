import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { transferInfoOf } from '../../../src-main/classifier/transfer-info'
import { getRun } from '../../../src-main/db/queries/training-runs'
import { escapeHtml } from '../../../src-main/report/html'
import { evaluationReport } from '../../../src-main/review/evaluate-report'
import { writeRunReport } from '../../../src-main/report/write-report'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'
import { classRow, expectCompleteReport, expectedThumbnails, thumbnailCount } from './report-checks'

// The report of a MobileNetV2 head: its base model, version and licence, the 224 px input in [-1, 1],
// the settings as trained. With the shared ImageNet weights when this machine has them, else the same
// architecture randomly initialised (the report does not depend on what the features know). No
// thumbnail store: the report makes its thumbnails from the image files.

let dir: string
let modelsDir: string
let projectPath: string
let runId: number

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-report-mobilenet-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [4, 4], val: [2, 2], test: [3, 3] }))).projectPath
  const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224, backend: 'wasm', epochs: 2 }) as TrainSettings
  runId = queueRun(projectPath, settings)
  await trainingJob({ projectPath, modelsDir, runId, settings, resume: false }, recordingContext())
}, 180_000)

afterAll(() => removeTempDir(dir))

describe('writeRunReport on a MobileNetV2 run', () => {
  it('names the base model, its version and licence, and reports the head like any run', { timeout: 120_000 }, async () => {
    const outPath = join(dir, 'report.html')
    const result = await writeRunReport({ projectPath, modelsDir, thumbnailsDir: null, runId, outPath, backend: 'wasm' }, recordingContext())
    expect(result).toMatchObject({ runId, path: outPath, evaluated: true })
    const text = readFileSync(outPath, 'utf8')
    const { run, test, val } = withProjectDb(projectPath, (db) => ({
      run: getRun(db, runId)!,
      test: evaluationReport(db, runId, 'test')!,
      val: evaluationReport(db, runId, 'val')
    }))
    expect(test.count).toBe(6)
    expectCompleteReport(text, { test, val })
    const transfer = transferInfoOf(run.summary)!
    expect(text).toContain('MobileNetV2 head (mobilenetv2): a classification head trained on the frozen features of MobileNetV2 1.0/224 (ImageNet)')
    expect(text).toContain(`version ${escapeHtml(transfer.baseModelVersion)}`)
    expect(text).toContain('licence: Apache License 2.0')
    expect(text).toContain('224 × 224 px, 3 channels (RGB)')
    expect(text).toContain('[-1, 1]')
    expect(text).toContain('<th>As trained (after automatic choices)</th>')
    expect(text).toContain(classRow('red', [4, 2, 3]))
    expect(text).toContain(classRow('blue', [4, 2, 3]))
    expect(thumbnailCount(text)).toBe(expectedThumbnails([test, val]))

    const again = await writeRunReport({ projectPath, modelsDir, thumbnailsDir: null, runId, outPath, backend: 'wasm' }, recordingContext())
    expect(again.evaluated).toBe(false)
  })
})
