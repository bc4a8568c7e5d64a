import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportRun } from '../../../src-main/export/export-run'
import { csvHeader, csvRow } from '../../../src-main/export/prediction-csv'
import { predictFolder, type PredictionRow } from '../../../src-main/export/predict-folder'
import { exportedModelPredictor, onnxFilePredictor, runPredictor } from '../../../src-main/classifier/predictors'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { imagePaths, trainTinyCnn, withProjectDbAsync, type TrainedProject } from './trained-run'

// `pictor predict` on a folder of real images, with the exported .onnx file (ONNX Runtime, labels and
// preprocessing from its metadata) and with the project's run: the top-1 class is the run's own
// argmax, an unreadable file is a row with an error, and a cancel stops early keeping what was written.

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'bin', 'pictor.js')
const modelsDir = join(import.meta.dirname, 'no-models-needed-for-cnn')

let dir: string
let trained: TrainedProject
let modelPath: string
let folder: string
/** File name → the run's own probabilities (TF.js, in output order). */
const expected = new Map<string, Float32Array>()

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-predict-')
  trained = await trainTinyCnn(join(dir, 'project'))
  await withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { dir: join(dir, 'export'), formats: ['onnx'] }, { modelsDir, pictorVersion: 'test' }))
  modelPath = join(dir, 'export', 'onnx', 'model.onnx')

  // 8 test images (4 flat, 4 in more/), two unreadable files, and a text file (not an image: skipped).
  folder = join(dir, 'to-predict')
  mkdirSync(join(folder, 'more'), { recursive: true })
  const paths = imagePaths(trained.projectPath, 'test')
  paths.forEach((path, index) => copyFileSync(path, join(folder, index < 4 ? '' : 'more', basename(path))))
  // A PNG cut short (damaged), and text named like a photo (not an image at all).
  writeFileSync(join(folder, 'broken.png'), readFileSync(paths[0]!).subarray(0, 60))
  writeFileSync(join(folder, 'fake.jpg'), 'just text')
  writeFileSync(join(folder, 'notes.txt'), 'not an image')

  const classifier = await withProjectDbAsync(trained.projectPath, (db) => loadRunClassifier(db, trained.runId, { modelsDir, backend: 'wasm' }))
  for (const path of paths) {
    const input = await classifier.preprocess(path)
    expected.set(basename(path), tf.tidy(() => (classifier.model!.predict(tf.tensor4d(input, [1, 20, 20, 3])) as tf.Tensor).dataSync() as Float32Array))
  }
  classifier.dispose()
}, 120_000)

afterAll(() => removeTempDir(dir))

const argmax = (values: Float32Array) => values.indexOf(Math.max(...values))

/** RFC 4180 rows (quoted fields may hold commas and doubled quotes; no line breaks in ours). */
function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((match) => (match[1] !== undefined ? match[1].replaceAll('""', '"') : match[2]!)))
}

describe('predictFolder', () => {
  it('with the exported .onnx: one CSV row per file, top-1 = the run’s argmax, the damaged file a row with its error', async () => {
    const predictor = await onnxFilePredictor(modelPath)
    expect(predictor.labels).toEqual(['blue', 'red'])
    let csv = csvHeader(2)
    const summary = await predictFolder(folder, predictor, { top: 2, batchSize: 3, onRows: (rows) => void (csv += rows.map((row) => csvRow(row, 2)).join('')) })
    predictor.dispose()
    expect(summary).toMatchObject({ engine: 'onnxruntime', images: 10, predicted: 8, failed: 2, cancelled: false })

    const [header, ...rows] = parseCsv(csv)
    expect(header).toEqual(['path', 'label', 'probability', 'label_2', 'probability_2', 'error'])
    expect(rows).toHaveLength(10)
    expect(rows.find((row) => row[0] === 'fake.jpg')!.slice(1)).toEqual(['', '', '', '', 'NOT_AN_IMAGE: the file is not an image Pictor can read'])
    const broken = rows.find((row) => row[0] === 'broken.png')!
    expect(broken.slice(1, 5)).toEqual(['', '', '', ''])
    expect(broken[5]).toMatch(/^CORRUPT: /)
    expect(rows.filter((candidate) => candidate[5] === '')).toHaveLength(8)
    for (const row of rows.filter((candidate) => candidate[5] === '')) {
      const probabilities = expected.get(basename(row[0]!))!
      expect(row[1]).toBe(['blue', 'red'][argmax(probabilities)])
      expect(Math.abs(Number(row[2]) - Math.max(...probabilities))).toBeLessThan(1e-4)
      expect(Number(row[2]) + Number(row[4])).toBeCloseTo(1, 4)
      expect(row[5]).toBe('')
    }
    expect(rows.filter((row) => row[0]!.startsWith('more/'))).toHaveLength(4)
  })

  it('stops after the batch in progress when cancelled, keeping the rows already handed out', async () => {
    const predictor = await onnxFilePredictor(modelPath)
    const controller = new AbortController()
    const rows: PredictionRow[] = []
    const summary = await predictFolder(folder, predictor, {
      top: 1,
      batchSize: 2,
      signal: controller.signal,
      onRows: (batch) => {
        rows.push(...batch)
        controller.abort()
      }
    })
    predictor.dispose()
    expect(summary.cancelled).toBe(true)
    // The first batch (broken.png and one image, in sorted order) and nothing after it.
    expect(summary.predicted + summary.failed).toBe(2)
    expect(rows.map((row) => row.path)[0]).toBe('broken.png')
    expect(rows).toHaveLength(2)
  })

  it("with the project's run: ONNX Runtime by default, TF.js when a backend is forced, the same answers", async () => {
    const answers: Record<string, Map<string, string>> = {}
    for (const backend of [null, 'wasm'] as const) {
      const predictor = await withProjectDbAsync(trained.projectPath, (db) => runPredictor(db, undefined, { modelsDir, backend }))
      expect(predictor.runId).toBe(trained.runId)
      const labels = new Map<string, string>()
      const summary = await predictFolder(folder, predictor, { top: 1, onRows: (rows) => rows.forEach((row) => row.error === null && labels.set(row.path, row.top[0]!.label)) })
      predictor.dispose()
      answers[summary.engine] = labels
    }
    expect(Object.keys(answers).sort()).toEqual(['onnxruntime', 'tfjs-wasm'])
    expect(answers.onnxruntime).toEqual(answers['tfjs-wasm'])
    expect(answers.onnxruntime!.size).toBe(8)
  })

  it('with an exported folder: the TF.js copy on TF.js, the whole export on ONNX Runtime, both the run’s argmax', async () => {
    const out = join(dir, 'both-formats')
    await withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { dir: out, formats: ['onnx', 'tfjs'] }, { modelsDir, pictorVersion: 'test' }))
    for (const [path, engine] of [[join(out, 'tfjs'), 'tfjs-wasm'], [join(out, 'tfjs', 'model.json'), 'tfjs-wasm'], [out, 'onnxruntime']] as const) {
      const predictor = await exportedModelPredictor(path)
      const rows: PredictionRow[] = []
      const summary = await predictFolder(folder, predictor, { top: 1, onRows: (batch) => void rows.push(...batch) })
      predictor.dispose()
      expect(summary.engine).toBe(engine)
      expect(summary.predicted).toBe(8)
      for (const row of rows.filter((candidate) => candidate.error === null)) {
        const probabilities = expected.get(basename(row.path))!
        expect(row.top[0]!.label).toBe(['blue', 'red'][argmax(probabilities)])
        expect(Math.abs(row.top[0]!.probability - Math.max(...probabilities))).toBeLessThan(1e-4)
      }
    }
    await expect(exportedModelPredictor(join(dir, 'to-predict'))).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    await expect(exportedModelPredictor(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('pictor export and pictor predict', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') }, timeout: 60_000 })

  it('pictor export writes the chosen format through export.run and answers with the files', () => {
    const out = join(dir, 'cli-export')
    const run = cli(['export', '--project', trained.projectPath, '--format', 'tfjs', '--out', out, '--json'])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const result = JSON.parse(run.stdout) as { runId: number; files: string[] }
    expect(result.runId).toBe(trained.runId)
    expect(result.files).toEqual(['tfjs/model.json', 'tfjs/group1-shard1of1.bin', 'tfjs/metadata.json', 'tfjs/drift-reference.json', 'tfjs/README.md', 'tfjs/pictor-manifest.json'])
    const refused = cli(['export', '--project', trained.projectPath, '--run', '999', '--out', out])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('run 999 does not exist')
  })

  it('pictor predict writes the CSV and says on stderr which engine ran', () => {
    const out = join(dir, 'predictions.csv')
    const run = spawnSync(process.execPath, [BIN, 'predict', '--model', modelPath, folder, '--csv', out, '--top', '1'], {
      encoding: 'utf8',
      env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') },
      timeout: 60_000
    })
    expect(run.stderr).toContain('8 of 10 images predicted with onnxruntime')
    expect(run.status).toBe(0)
    const rows = parseCsv(readFileSync(out, 'utf8'))
    expect(rows[0]).toEqual(['path', 'label', 'probability', 'error'])
    expect(rows).toHaveLength(11)
  })
})
