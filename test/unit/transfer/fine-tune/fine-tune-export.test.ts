import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TrainSettings } from '../../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../../src-main/contract/train-settings'
import { loadTrainingExamples } from '../../../../src-main/db/queries/training-data'
import { exportRun } from '../../../../src-main/export/export-run'
import type { ExportMetadata } from '../../../../src-main/classifier/model-metadata'
import { OnnxModel } from '../../../../src-main/classifier/onnx-runtime'
import { loadRunClassifier } from '../../../../src-main/classifier/run-classifier'
import type { TransferRunResult } from '../../../../src-main/classifier/transfer-info'
import { activateBackend } from '../../../../src-main/tfjs/backend'
import { transferTrainingJob } from '../../../../src-main/workers/training-job'
import { withProjectDb } from '../../../helpers/import-project'
import { hasPretrained, NO_PRETRAINED, SHARED_MODELS_DIR } from '../../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../../helpers/training-project'
import { expectExportedOnnx, NO_PYTHON_ONNX } from '../../../helpers/onnx-checker'
import { concat, loadExportedTfjs, maxAbsDiff, withProjectDbAsync } from '../../export/trained-run'

// The export of a fine-tuned run (stage 2 on): the ONNX and TF.js files hold the whole classifier
// with the fine-tuned weights (backbone to block 13, blocks 14–16 with folded batch norm, Conv_1,
// pooling, head) and answer like the run's own TF.js classifier on real images, to 1e-4 as for stage 1.

let dir: string
let projectPath: string
let runId: number
let result: TransferRunResult

beforeAll(async () => {
  if (!hasPretrained) return
  await activateBackend('wasm')
  dir = makeTempDir('pictor-fine-tune-export-')
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [5, 5], val: [2, 2], test: [3, 3] }))).projectPath
  const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224, fineTuneBlocks: 3, fineTuneEpochs: 2 }) as TrainSettings
  runId = queueRun(projectPath, settings)
  result = (await transferTrainingJob({ projectPath, modelsDir: SHARED_MODELS_DIR, cacheDir: join(dir, 'cache'), runId, settings, resume: false }, recordingContext())) as TransferRunResult
}, 300_000)

afterAll(() => dir && removeTempDir(dir))

it('exports the fine-tuned classifier: ONNX Runtime and the TF.js files answer like the run, to 1e-4', async (context) => {
  // A random backbone's probabilities are saturated noise: the comparison needs the real weights.
  if (!hasPretrained) return context.skip(NO_PRETRAINED)
  expect(result.transfer).toMatchObject({ storedModel: 'top', fineTune: { blocks: 3 } })
  const out = join(dir, 'export')
  const modelsDir = SHARED_MODELS_DIR
  const exported = await withProjectDbAsync(projectPath, (db) => exportRun(db, { dir: out, formats: ['onnx', 'tfjs'] }, { modelsDir, pictorVersion: 'test' }))
  expect(exported.files).toContain('onnx/model.onnx')
  const metadata = JSON.parse(readFileSync(join(out, 'onnx', 'metadata.json'), 'utf8')) as ExportMetadata
  expect(metadata).toMatchObject({ modelKind: 'mobilenetv2', input: { height: 224, width: 224, channels: 3 }, baseModelVersion: result.transfer.baseModelVersion })

  const paths = withProjectDb(projectPath, (db) => loadTrainingExamples(db).examples.filter((e) => e.split === 'test').map((e) => e.path))
  const classifier = await withProjectDbAsync(projectPath, (db) => loadRunClassifier(db, runId, { modelsDir, backend: 'wasm' }))
  try {
    const input = concat(await Promise.all(paths.map((path) => classifier.preprocess(path))))
    const shape = [paths.length, 224, 224, 3]
    const before = tf.memory().numTensors
    const expected = tf.tidy(() => (classifier.model!.predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array)
    expect(tf.memory().numTensors).toBe(before)
    const session = await OnnxModel.create(readFileSync(join(out, 'onnx', 'model.onnx')))
    expect(maxAbsDiff(await session.run(input, shape), expected)).toBeLessThan(1e-4)
    await session.dispose()
    const reloaded = await loadExportedTfjs(join(out, 'tfjs', 'model.json'))
    const fromTfjs = tf.tidy(() => (reloaded.predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array)
    reloaded.dispose()
    expect(maxAbsDiff(fromTfjs, expected)).toBeLessThan(1e-4)
  } finally {
    classifier.dispose()
  }
}, 120_000)

it('exports a fine-tuned ONNX file the ONNX project’s checker accepts (full_check, strict shape inference)', async (context) => {
  if (!hasPretrained) return context.skip(NO_PRETRAINED)
  if (NO_PYTHON_ONNX) return context.skip(NO_PYTHON_ONNX)
  const out = join(dir, 'export-checked')
  await withProjectDbAsync(projectPath, (db) => exportRun(db, { dir: out, formats: ['onnx'] }, { modelsDir: SHARED_MODELS_DIR, pictorVersion: 'test' }))
  expectExportedOnnx(join(out, 'onnx'))
}, 120_000)
