import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { importOnnxRun } from '../../../src-main/classifier/onnx-run-import'
import { exportRun } from '../../../src-main/export/export-run'
import { withMetadataProps } from '../../../src-main/onnx/onnx-inspect'
import { evaluateRun } from '../../../src-main/review/evaluate-job'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { transferTrainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'
import { maxAbsDiff, withProjectDbAsync } from '../export/trained-run'

// The round trip a cluster run makes (issue 15): a one-click MobileNetV2 run, exported as ONNX, laid
// out the way the bundle's train.py leaves its output (model.onnx without metadata_props, and a
// metadata.json with run id 0 and its own extra fields), imported back. Its evaluation runs the whole
// 224×224 graph on ONNX Runtime; the original's runs cached features and a TF.js head: the same
// probabilities within 1e-4 and the same classes.

let dir: string
let modelsDir: string
let projectPath: string
let runId: number

const probabilitiesOf = (db: Database, run: number) =>
  new Map(
    (db.prepare('SELECT image_id AS imageId, probabilities FROM predictions WHERE run_id = ?').all(run) as { imageId: number; probabilities: Buffer }[]).map((row) => [
      row.imageId,
      new Float32Array(row.probabilities.buffer.slice(row.probabilities.byteOffset, row.probabilities.byteOffset + row.probabilities.byteLength))
    ])
  )

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-run-import-mobilenet-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [5, 5], val: [2, 2], test: [2, 2] }))).projectPath
  const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224 }) as TrainSettings
  runId = queueRun(projectPath, settings)
  await transferTrainingJob({ projectPath, modelsDir, cacheDir: join(dir, 'cache'), runId, settings, resume: false }, recordingContext())
  await evaluateRun({ projectPath, modelsDir, cacheDir: join(dir, 'cache'), runId }, recordingContext())
  await withProjectDbAsync(projectPath, (db) => exportRun(db, { runId, dir: join(dir, 'export'), formats: ['onnx'] }, { modelsDir, pictorVersion: 'test' }))
}, 300_000)

afterAll(() => removeTempDir(dir))

describe('runs import of a MobileNetV2 classifier laid out as train.py writes it', () => {
  it('imports from metadata.json and evaluates to the original run’s probabilities and classes', { timeout: 120_000 }, async () => {
    const output = join(dir, 'cluster-output')
    mkdirSync(output)
    writeFileSync(join(output, 'model.onnx'), withMetadataProps(new Uint8Array(readFileSync(join(dir, 'export', 'onnx', 'model.onnx'))), {}))
    const metadata = JSON.parse(readFileSync(join(dir, 'export', 'onnx', 'metadata.json'), 'utf8')) as Record<string, unknown>
    writeFileSync(join(output, 'metadata.json'), JSON.stringify({ ...metadata, runId: 0, trainedWith: 'pictor bundle train.py, PyTorch', epochs: [], test: null }))

    const summary = await withProjectDbAsync(projectPath, (db) => importOnnxRun(db, { path: output }))
    expect(summary).toMatchObject({ metadataFrom: 'metadata.json', originalKind: 'mobilenetv2', input: { height: 224, width: 224, channels: 3 }, preprocessing: { offset: -1 } })
    expect(summary.preprocessing.scale).toBeCloseTo(1 / 127.5, 12)

    const result = await evaluateRun({ projectPath, modelsDir, runId: summary.runId }, recordingContext())
    expect(result.engine).toBe('onnxruntime')
    withProjectDb(projectPath, (db) => {
      const original = probabilitiesOf(db, runId)
      const imported = probabilitiesOf(db, summary.runId)
      expect(imported.size).toBe(18)
      expect([...imported.keys()].sort()).toEqual([...original.keys()].sort())
      for (const [imageId, probabilities] of original) {
        const mine = imported.get(imageId)!
        expect(maxAbsDiff(mine, probabilities), `image ${imageId}`).toBeLessThan(1e-4)
        expect(mine.indexOf(Math.max(...mine))).toBe(probabilities.indexOf(Math.max(...probabilities)))
      }
    })
  })
})
