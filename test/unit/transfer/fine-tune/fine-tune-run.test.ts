import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../../src-main/contract/train-settings'
import { countFeatures, getFeatures } from '../../../../src-main/db/queries/image-features'
import { loadCheckpoint, loadRunModel } from '../../../../src-main/db/queries/run-models'
import { loadTrainingExamples } from '../../../../src-main/db/queries/training-data'
import { getRun } from '../../../../src-main/db/queries/training-runs'
import { featureCacheKey } from '../../../../src-main/classifier/features/feature-spec'
import { loadRunClassifier } from '../../../../src-main/classifier/run-classifier'
import type { TransferRunResult } from '../../../../src-main/classifier/transfer-info'
import { activateBackend } from '../../../../src-main/tfjs/backend'
import { deserializeModel } from '../../../../src-main/tfjs/model-serialization'
import { crossEntropy } from '../../../../src-main/training/loop/metrics'
import { readTopWeights } from '../../../../src-main/transfer/fine-tune/base-weights'
import { buildTopModel } from '../../../../src-main/transfer/fine-tune/top-model'
import { evaluateRun } from '../../../../src-main/review/evaluate-job'
import { transferTrainingJob } from '../../../../src-main/workers/training-job'
import { withProjectDb } from '../../../helpers/import-project'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../../helpers/training-project'
import { concat, maxAbsDiff, withProjectDbAsync } from '../../export/trained-run'

// A one-click MobileNetV2 run with stage 2 on (fine-tune the top 2 blocks, at 96 px: block 14's input is
// 3×3×160) on a real imported project:
// the head trains, then blocks 15–16 + Conv_1 + the head train on cached block-14 inputs; the stored
// model is the top model, the run classifier stacks it on the backbone cut at block 13, and a run
// cancelled in stage 2 resumes in stage 2.

let dir: string
let modelsDir: string
let projectPath: string
let first: { runId: number; result: TransferRunResult }

const fineTuning = (): TrainSettings =>
  trainSettingsSchema.parse({ model: 'mobilenetv2', backend: 'wasm', inputSize: 96, fineTuneBlocks: 2, fineTuneEpochs: 3 }) as TrainSettings

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-fine-tune-run-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [8, 8], val: [4, 4], test: [8, 8] }))).projectPath
}, 60_000)

afterAll(() => removeTempDir(dir))

/** The stored model's weights of one layer, as arrays. */
function layerValues(model: tfl.LayersModel, name: string): Float32Array[] {
  return model.getLayer(name).getWeights().map((weight) => weight.dataSync() as Float32Array)
}

describe('a run with stage 2', () => {
  it('trains the head, then the top blocks, records both stages and stores the top model', async () => {
    const settings = fineTuning()
    const runId = queueRun(projectPath, settings)
    const context = recordingContext()
    const result = (await transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: false }, context)) as TransferRunResult
    first = { runId, result }
    const run = withProjectDb(projectPath, (db) => getRun(db, runId))!
    expect(run).toMatchObject({ status: 'done', hasModel: true, resumable: false })
    const fineTune = result.transfer.fineTune!
    expect(result.transfer).toMatchObject({ storedModel: 'top', featureSpec: { inputSize: 96, boundary: 'block_14_input', precision: 'float32' } })
    expect(fineTune).toMatchObject({ blocks: 2, maxEpochs: 3, learningRate: 1e-4, learningRateChosen: true, extraction: { total: 40, computed: 40, cached: 0 } })
    // Both stages' epochs, numbered on: stage 1's first, then stage 2's, tagged.
    expect(run.epochs.map((epoch) => epoch.epoch)).toEqual(run.epochs.map((_, index) => index))
    expect(run.epochs.filter((epoch) => epoch.stage === undefined)).toHaveLength(fineTune.stage1.epochs)
    expect(run.epochs.filter((epoch) => epoch.stage === 2)).toHaveLength(fineTune.epochsRun)
    expect(fineTune.firstEpoch).toBe(fineTune.stage1.epochs)
    expect(fineTune.epochsRun).toBeGreaterThan(0)
    expect(result.epochsRun).toBe(run.epochs.length)
    expect(result.notes.some((note) => /^block 14 inputs: 40 extracted with \S+ at [\d.]+ images\/s, 0 from the cache$/.test(note))).toBe(true)
    expect(result.notes.some((note) => note.startsWith('stage 2: fine-tuning the top 2 blocks + Conv_1'))).toBe(true)
    expect(context.updates.some((update) => /^Extracting features: 40\/40 images/.test(update.message) && update.detail?.phase === 'extracting')).toBe(true)
    expect(context.updates.some((update) => update.detail?.epochMetrics?.stage === 2)).toBe(true)
    expect(withProjectDb(projectPath, (db) => loadCheckpoint(db, runId))).toBeUndefined()
  }, 300_000)

  it('changes only the top 2 blocks, Conv_1 and the head, and never does worse on validation than the head alone', async () => {
    const { runId, result } = first
    const stored = await deserializeModel(withProjectDb(projectPath, (db) => loadRunModel(db, runId))!)
    const base = await readTopWeights(modelsDir)
    const fresh = buildTopModel({ spec: result.transfer.featureSpec!, base: base.weights, trainableBlocks: 2, classes: 2, dropout: 0.2, seed: 1 })
    const moved = (name: string) => maxAbsDiff(layerValues(stored, name).flatMap((v) => Array.from(v)), layerValues(fresh, name).flatMap((v) => Array.from(v)))
    for (const name of ['block_14_expand', 'block_14_depthwise', 'block_14_project']) expect(moved(name)).toBe(0)
    for (const name of ['block_15_expand', 'block_16_project', 'Conv_1']) expect(moved(name)).toBeGreaterThan(0)

    // Validation loss of the stored model on the cached block-14 inputs: at most stage 1's best.
    const key = featureCacheKey(result.transfer.baseModelVersion, result.transfer.featureSpec!)
    const { rows, labels } = withProjectDb(projectPath, (db) => {
      const val = loadTrainingExamples(db).examples.filter((example) => example.split === 'val')
      const byHash = getFeatures(db, key, val.map((example) => example.contentHash!))
      return { rows: val.map((example) => byHash.get(example.contentHash!)!), labels: val.map((example) => example.classIndex) }
    })
    const before = tf.memory().numTensors
    const loss = tf.tidy(() => {
      const probabilities = stored.predict(tf.tensor(concat(rows), [rows.length, 3, 3, 160])) as tf.Tensor
      return crossEntropy(probabilities, tf.oneHot(tf.tensor1d(labels, 'int32'), 2) as tf.Tensor2D).dataSync()[0]!
    })
    expect(tf.memory().numTensors).toBe(before)
    expect(loss).toBeLessThanOrEqual(result.transfer.fineTune!.stage1.valLoss! + 1e-4)
    stored.dispose()
    fresh.dispose()
  }, 60_000)

  it('caches block-14 inputs under their own key, so a retrain extracts nothing', async () => {
    const { result } = first
    const key = featureCacheKey(result.transfer.baseModelVersion, result.transfer.featureSpec!)
    expect(key).toBe(`${result.transfer.baseModelVersion}#96-block_14_input-float32`)
    // Stage 1's pooled features keep their own key beside them.
    const pooledKey = featureCacheKey(result.transfer.baseModelVersion, { ...result.transfer.featureSpec!, boundary: 'pooled' })
    expect(pooledKey).toBe(`${result.transfer.baseModelVersion}#96-pooled-float32`)
    expect(withProjectDb(projectPath, (db) => [countFeatures(db, key), countFeatures(db, pooledKey)])).toEqual([40, 40])
    const row = withProjectDb(projectPath, (db) => getFeatures(db, key, [loadTrainingExamples(db).examples[0]!.contentHash!]))
    expect([...row.values()][0]).toHaveLength(3 * 3 * 160)
  })

  it('is served by the run classifier: backbone to block 13 + the top model, as on the cached activations', async () => {
    const { runId, result } = first
    const classifier = await withProjectDbAsync(projectPath, (db) => loadRunClassifier(db, runId, { modelsDir, backend: 'wasm' }))
    try {
      expect(classifier).toMatchObject({ kind: 'mobilenetv2', inputShape: [96, 96, 3], featureSpec: result.transfer.featureSpec })
      const test = withProjectDb(projectPath, (db) => loadTrainingExamples(db).examples.filter((example) => example.split === 'test').slice(0, 4))
      const input = concat(await Promise.all(test.map((example) => classifier.preprocess(example.path))))
      const fromImages = await classifier.predictBatch(input, test.length)
      const key = featureCacheKey(result.transfer.baseModelVersion, result.transfer.featureSpec!)
      const cached = withProjectDb(projectPath, (db) => getFeatures(db, key, test.map((example) => example.contentHash!)))
      const fromCache = tf.tidy(
        () => (classifier.head!.predict(tf.tensor(concat(test.map((example) => cached.get(example.contentHash!)!)), [test.length, 3, 3, 160])) as tf.Tensor).dataSync() as Float32Array
      )
      expect(maxAbsDiff(concat(fromImages), fromCache)).toBeLessThan(1e-4)
    } finally {
      classifier.dispose()
    }
  }, 120_000)

  it('evaluates through Review: every labeled image predicted from the cached block-14 inputs, none extracted again', async () => {
    const { runId } = first
    const evaluated = await evaluateRun({ projectPath, modelsDir, runId, backend: 'wasm' }, recordingContext())
    expect(evaluated).toMatchObject({ runId, predicted: 40, skipped: 0 })
    const rows = withProjectDb(projectPath, (db) => db.prepare('SELECT count(*) FROM predictions WHERE run_id = ?').pluck().get(runId) as number)
    expect(rows).toBe(40)
  }, 120_000)

  it('cancelled in stage 2, the run resumes in stage 2 and finishes', async () => {
    const settings = fineTuning()
    const runId = queueRun(projectPath, settings)
    const context = recordingContext((update) => update.detail?.epochMetrics?.stage === 2)
    await expect(transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: false }, context)).rejects.toMatchObject({ code: 'CANCELLED' })
    const cancelled = withProjectDb(projectPath, (db) => ({ run: getRun(db, runId)!, checkpoint: loadCheckpoint(db, runId)! }))
    expect(cancelled.run).toMatchObject({ status: 'cancelled', resumable: true, hasModel: false })
    expect(cancelled.checkpoint.state).toMatchObject({ stage: 2, previous: { firstEpoch: expect.any(Number) } })
    const stage1Epochs = cancelled.run.epochs.filter((epoch) => epoch.stage === undefined).length
    expect(cancelled.run.epochs.filter((epoch) => epoch.stage === 2)).toHaveLength(1)

    const resumed = (await transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: true }, recordingContext())) as TransferRunResult
    expect(resumed.notes).toContain(`resumed after epoch ${stage1Epochs + 1}`)
    const run = withProjectDb(projectPath, (db) => getRun(db, runId))!
    expect(run).toMatchObject({ status: 'done', hasModel: true })
    // Stage 1 was not trained again: its epochs are the ones before the cancel.
    expect(run.epochs.filter((epoch) => epoch.stage === undefined)).toHaveLength(stage1Epochs)
    expect(resumed.transfer.fineTune).toMatchObject({ firstEpoch: stage1Epochs, stage1: { epochs: stage1Epochs } })
    expect(resumed.transfer.fineTune!.epochsRun).toBe(run.epochs.filter((epoch) => epoch.stage === 2).length)
    expect(resumed.transfer.storedModel).toBe('top')
  }, 300_000)

  it('cancelled while stage 2 extracts, the run resumes from the finished head without training it again', async () => {
    // Another input size, so that stage 2 has block-14 inputs to extract (and a cancel to land in).
    const settings = trainSettingsSchema.parse({ ...fineTuning(), inputSize: 128 }) as TrainSettings
    const runId = queueRun(projectPath, settings)
    let trained = false
    const context = recordingContext((update) => {
      if (update.detail?.epochMetrics) trained = true
      return trained && update.detail?.phase === 'extracting'
    })
    await expect(transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: false }, context)).rejects.toMatchObject({ code: 'CANCELLED' })
    const cancelled = withProjectDb(projectPath, (db) => ({ run: getRun(db, runId)!, checkpoint: loadCheckpoint(db, runId)! }))
    expect(cancelled.run).toMatchObject({ status: 'cancelled', resumable: true })
    expect(cancelled.checkpoint.state).toMatchObject({ finished: true, outcome: { firstEpoch: expect.any(Number) } })
    const stage1Epochs = cancelled.run.epochs.length
    expect(cancelled.checkpoint.epoch).toBe(stage1Epochs - 1)

    const resumed = (await transferTrainingJob({ projectPath, modelsDir, runId, settings, resume: true }, recordingContext())) as TransferRunResult
    const run = withProjectDb(projectPath, (db) => getRun(db, runId))!
    expect(run).toMatchObject({ status: 'done', hasModel: true })
    expect(run.epochs.filter((epoch) => epoch.stage === undefined)).toHaveLength(stage1Epochs)
    expect(resumed.transfer.fineTune).toMatchObject({ firstEpoch: stage1Epochs, extraction: { total: 40 } })
    expect(resumed.transfer.featureSpec).toMatchObject({ inputSize: 128, boundary: 'block_14_input' })
  }, 300_000)
})
