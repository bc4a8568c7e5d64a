import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { countFeatures } from '../../../src-main/db/queries/image-features'
import { writeLabels } from '../../../src-main/db/queries/labels'
import { loadCheckpoint, loadRunModel } from '../../../src-main/db/queries/run-models'
import { getRun } from '../../../src-main/db/queries/training-runs'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { deserializeModel } from '../../../src-main/tfjs/model-serialization'
import type { TransferRunResult } from '../../../src-main/classifier/transfer-info'
import { transferTrainingJob } from '../../../src-main/workers/training-job'
import { hasPretrained, NO_PRETRAINED, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'

// transferRun on a real imported project (red-ish and blue-ish photos, 8/4/8 per class in
// train/val/test folders): features extracted once and cached, a head trained with the engine's
// loop and callbacks, stored with the run. With the shared ImageNet weights every validation and test
// image must be right (16 test images: one mistake fails it); without them the same pipeline runs on a
// randomly initialised backbone.

let dir: string
let modelsDir: string
let projectPath: string

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-transfer-run-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [8, 8], val: [4, 4], test: [8, 8] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

/** Everything left at the schema's defaults, as the one-click button sends it. */
const oneClick = (): TrainSettings => trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224, backend: 'wasm' }) as TrainSettings

async function start(settings = oneClick()) {
  const runId = queueRun(projectPath, settings)
  const context = recordingContext()
  const started = performance.now()
  const result = await transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: false }, context)
  return { runId, result, context, seconds: (performance.now() - started) / 1000 }
}

let first: { runId: number; result: TransferRunResult; seconds: number }

describe('transferRun', () => {
  it('extracts features, trains and stores the head, and reports validation and test accuracy', async () => {
    const { runId, result, context, seconds } = await start()
    first = { runId, result, seconds }
    const run = withProjectDb(projectPath, (db) => getRun(db, runId))!
    expect(run).toMatchObject({ status: 'done', hasModel: true, resumable: false, modelKind: 'mobilenetv2' })
    expect([...run.classNames].sort()).toEqual(['blue', 'red'])
    expect(run.summary).toEqual(result)
    expect(run.epochs).toHaveLength(result.epochsRun)
    expect(result.valAccuracy).not.toBeNull()
    expect(result.testAccuracy).not.toBeNull()
    expect(result.transfer).toMatchObject({
      baseModel: 'mobilenet_v2_1.0_224_no_top',
      baseModelVersion: expect.stringMatching(/^mobilenet_v2_1\.0_224_no_top@sha256:[0-9a-f]{64}$/),
      storedModel: 'head',
      featureSize: 1280,
      input: [224, 224, 3],
      extraction: { total: 40, cached: 0, computed: 40, skipped: 0 },
      // The one-click rule: 16 images are 1 step an epoch → 100 epochs, early stopping on validation.
      settings: expect.objectContaining({ dropout: 0.2, epochs: 100, patience: 5, learningRate: 0.001, classWeights: false })
    })
    expect(result.notes).toContain(`base model ${result.transfer.baseModelVersion}`)
    expect(result.notes.some((note) => /^features: 40 extracted with tfjs-wasm at [\d.]+ images\/s, 0 from the cache$/.test(note))).toBe(true)
    expect(context.updates.some((update) => /^Extracting features: 40\/40 images/.test(update.message))).toBe(true)
    expect(context.updates.some((update) => update.detail?.epochMetrics)).toBe(true)

    // The stored model is the head alone: [null, 1280] → dropout → dense softmax over the classes.
    const stored = withProjectDb(projectPath, (db) => ({ model: loadRunModel(db, runId), checkpoint: loadCheckpoint(db, runId) }))
    expect(stored.checkpoint).toBeUndefined()
    const head = await deserializeModel(stored.model!)
    expect(head.inputs[0]!.shape).toEqual([null, 1280])
    expect(head.outputs[0]!.shape).toEqual([null, 2])
    expect(head.layers.map((layer) => layer.getClassName())).toEqual(['Dropout', 'Dense'])
    head.dispose()
  })

  it('with the ImageNet weights, every validation and test image is classified right', (ctx) => {
    if (!hasPretrained) return ctx.skip(NO_PRETRAINED)
    // Reddish against bluish: frozen ImageNet features separate them completely, so a single
    // mistake among the 8 validation and 16 test images means the pipeline is broken.
    expect(first.result.valAccuracy).toBe(1)
    expect(first.result.testAccuracy).toBe(1)
  })

  it('a retrain after relabelling extracts nothing and trains on the new labels', async () => {
    withProjectDb(projectPath, (db) => {
      const blue = db.prepare("SELECT id FROM classes WHERE name = 'blue'").pluck().get() as number
      const reds = db
        .prepare(
          `SELECT l.image_id FROM labels l JOIN classes c ON c.id = l.class_id JOIN images i ON i.id = l.image_id
           WHERE c.name = 'red' AND i.split = 'train' ORDER BY l.image_id LIMIT 2`
        )
        .pluck()
        .all() as number[]
      writeLabels(db, reds.map((imageId) => ({ imageId, classId: blue })), 'user')
    })
    const { result, seconds } = await start()
    expect(result.transfer.extraction).toMatchObject({ total: 40, cached: 40, computed: 0 })
    expect(result.notes).toContain('features: 0 extracted, 40 from the cache')
    expect(result.transfer.baseModelVersion).toBe(first.result.transfer.baseModelVersion)
    // 6 red against 10 blue in training now: imbalanced enough for automatic class weights.
    expect(result.transfer.settings).toMatchObject({ classWeights: true })
    expect(withProjectDb(projectPath, (db) => countFeatures(db))).toBe(40)
    // Nothing to extract: a retrain costs a fraction of the first run (which ran the backbone 40 times).
    expect(seconds).toBeLessThan(first.seconds)
  })

  it('cancelled during head training, the run is cancelled with a checkpoint and resumes to done', async () => {
    const settings = oneClick()
    const runId = queueRun(projectPath, settings)
    const context = recordingContext((update) => update.detail?.epochMetrics?.epoch === 1)
    await expect(transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: false }, context)).rejects.toMatchObject({ code: 'CANCELLED' })
    const cancelled = withProjectDb(projectPath, (db) => getRun(db, runId))!
    expect(cancelled).toMatchObject({ status: 'cancelled', resumable: true, hasModel: false })
    expect(cancelled.summary?.epochsRun).toBe(2)

    const resumed = await transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: true }, recordingContext())
    expect(resumed.notes).toContain('resumed after epoch 2')
    const run = withProjectDb(projectPath, (db) => getRun(db, runId))!
    expect(run).toMatchObject({ status: 'done', hasModel: true, resumable: false })
    // Counted over the whole run, the two epochs before the cancel included (as for the seed CNN).
    expect(resumed.epochsRun).toBe(run.epochs.length)
    expect(resumed.epochsRun).toBeGreaterThan(2)
    expect(run.epochs[0]!.epoch).toBe(0)
  })
})
