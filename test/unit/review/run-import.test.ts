import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportedModelPredictor, runPredictor } from '../../../src-main/classifier/predictors'
import { importOnnxRun } from '../../../src-main/classifier/onnx-run-import'
import { AppError } from '../../../src-main/core/errors'
import { insertClass } from '../../../src-main/db/queries/classes'
import { getRun, latestRunWithModel } from '../../../src-main/db/queries/training-runs'
import { exportRun } from '../../../src-main/export/export-run'
import { readOnnxMetadata } from '../../../src-main/onnx/export-onnx'
import { withMetadataProps } from '../../../src-main/onnx/onnx-inspect'
import { evaluateRun } from '../../../src-main/review/evaluate-job'
import { runRobustness } from '../../../src-main/review/robustness-job'
import { suggestWith } from '../../../src-main/review/suggest-job'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { recordingContext } from '../../helpers/training-project'
import { imagePaths, maxAbsDiff, trainTinyCnn, withProjectDbAsync, type TrainedProject } from '../export/trained-run'

// `runs import` (issue 15, "Bring it back") the honest way: a real project, a CNN trained on it by the
// real training job, exported by Pictor's own ONNX export, imported back as a run. Evaluated through
// ONNX Runtime, the imported run must predict what the original predicts (probabilities within 1e-4,
// identical classes); predict, suggestions and export work on it, robustness and TF.js export say why not.

let dir: string
let trained: TrainedProject
let exported: string
const modelsDir = () => join(dir, 'no-models')

/** Stored evaluation of a run: image id → probabilities. */
function evaluationOf(db: Database, runId: number): Map<number, Float32Array> {
  const rows = db.prepare('SELECT image_id AS imageId, probabilities FROM predictions WHERE run_id = ?').all(runId) as { imageId: number; probabilities: Buffer }[]
  return new Map(rows.map((row) => [row.imageId, new Float32Array(row.probabilities.buffer.slice(row.probabilities.byteOffset, row.probabilities.byteOffset + row.probabilities.byteLength))]))
}

const argmax = (values: Float32Array) => values.indexOf(Math.max(...values))
const runCount = (db: Database) => db.prepare('SELECT count(*) FROM training_runs').pluck().get() as number

async function rejects(work: () => Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await work().then(
    () => null,
    (caught: unknown) => caught
  )
  expect(error).toBeInstanceOf(AppError)
  expect((error as AppError).code).toBe(code)
  expect((error as AppError).message).toMatch(message)
  expect((error as AppError).message).not.toContain('\n')
}

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-run-import-')
  trained = await trainTinyCnn(join(dir, 'project'))
  exported = join(dir, 'export')
  await withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { runId: trained.runId, dir: exported, formats: ['onnx'] }, { modelsDir: modelsDir(), pictorVersion: 'test' }))
  await evaluateRun({ projectPath: trained.projectPath, modelsDir: modelsDir(), runId: trained.runId }, recordingContext())
}, 180_000)

afterAll(() => removeTempDir(dir))

describe('runs import of a model Pictor exported', () => {
  let importedId: number

  it('registers a finished run with a model, its labels in output order, and its input from the metadata', async () => {
    const summary = await withProjectDbAsync(trained.projectPath, (db) => importOnnxRun(db, { path: join(exported, 'onnx') }))
    importedId = summary.runId
    const original = withProjectDb(trained.projectPath, (db) => getRun(db, trained.runId)!)
    expect(summary).toMatchObject({
      labels: original.classNames,
      input: { height: 20, width: 20, channels: 3 },
      engine: 'onnxruntime',
      source: join(exported, 'onnx', 'model.onnx'),
      metadataFrom: 'metadata_props',
      originalKind: 'cnn'
    })
    expect(summary.preprocessing.scale).toBeCloseTo(1 / 255, 12)
    expect(summary.preprocessing.offset).toBe(0)
    withProjectDb(trained.projectPath, (db) => {
      const run = getRun(db, importedId)!
      expect(run).toMatchObject({ modelKind: 'onnx', status: 'done', hasModel: true, resumable: false, classNames: original.classNames, backend: 'onnxruntime' })
      expect(run.settings).toMatchObject({ imported: { from: summary.source, metadataFrom: 'metadata_props', modelKind: 'cnn' } })
      expect(latestRunWithModel(db)).toBe(importedId)
      expect(db.prepare('SELECT class_ids FROM training_runs WHERE id = ?').pluck().get(importedId)).toBe(
        db.prepare('SELECT class_ids FROM training_runs WHERE id = ?').pluck().get(trained.runId)
      )
    })
  })

  it('evaluates through ONNX Runtime to the original run’s probabilities (within 1e-4) and classes', { timeout: 60_000 }, async () => {
    const result = await evaluateRun({ projectPath: trained.projectPath, modelsDir: modelsDir(), runId: importedId }, recordingContext())
    expect(result.engine).toBe('onnxruntime')
    expect(result.skipped).toBe(0)
    withProjectDb(trained.projectPath, (db) => {
      const original = evaluationOf(db, trained.runId)
      const imported = evaluationOf(db, importedId)
      expect(imported.size).toBe(original.size)
      expect(imported.size).toBe(34)
      for (const [imageId, probabilities] of original) {
        const mine = imported.get(imageId)!
        expect(maxAbsDiff(mine, probabilities), `image ${imageId}`).toBeLessThan(1e-4)
        expect(argmax(mine)).toBe(argmax(probabilities))
      }
    })
  })

  it('predicts files with runPredictor (pictor predict --project --run) on ONNX Runtime, as the original does', { timeout: 60_000 }, async () => {
    const paths = imagePaths(trained.projectPath, 'test')
    await withProjectDbAsync(trained.projectPath, async (db) => {
      const mine = await runPredictor(db, importedId, { modelsDir: modelsDir() })
      const theirs = await runPredictor(db, trained.runId, { modelsDir: modelsDir(), backend: 'wasm' })
      try {
        expect(mine.engine).toBe('onnxruntime')
        expect(mine.labels).toEqual(theirs.labels)
        const a = await mine.predict(await Promise.all(paths.map((path) => mine.preprocess(path))))
        const b = await theirs.predict(await Promise.all(paths.map((path) => theirs.preprocess(path))))
        a.forEach((row, index) => expect(maxAbsDiff(row, b[index]!)).toBeLessThan(1e-4))
      } finally {
        mine.dispose()
        theirs.dispose()
      }
    })
  })

  it('suggests labels for unlabeled images as the original run does', { timeout: 60_000 }, async () => {
    const unlabeled = withProjectDb(trained.projectPath, (db) => {
      const ids = db.prepare('SELECT image_id FROM labels ORDER BY image_id LIMIT 3').pluck().all() as number[]
      db.prepare(`DELETE FROM labels WHERE image_id IN (${ids.join(',')})`).run()
      return ids
    })
    const suggestionsOf = async (runId: number) =>
      withProjectDbAsync(trained.projectPath, async (db) => {
        const result = await suggestWith(db, { projectPath: trained.projectPath, modelsDir: modelsDir(), runId }, recordingContext())
        expect(result.suggested).toBe(3)
        return db.prepare('SELECT image_id AS imageId, class_id AS classId, confidence FROM suggestions ORDER BY image_id').all() as { imageId: number; classId: number; confidence: number }[]
      })
    const original = await suggestionsOf(trained.runId)
    const imported = await suggestionsOf(importedId)
    expect(imported.map((row) => row.imageId)).toEqual(unlabeled)
    expect(imported.map((row) => row.classId)).toEqual(original.map((row) => row.classId))
    imported.forEach((row, index) => expect(Math.abs(row.confidence - original[index]!.confidence)).toBeLessThan(1e-4))
  })

  it('exports as ONNX with Pictor metadata that pictor predict --model reads; TF.js is refused before anything is written', { timeout: 60_000 }, async () => {
    const out = join(dir, 'reexport')
    const result = await withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { runId: importedId, dir: out, formats: ['onnx'] }, { modelsDir: modelsDir(), pictorVersion: 'test' }))
    expect(result.files).toEqual(expect.arrayContaining(['onnx/model.onnx', 'onnx/metadata.json']))
    const metadata = JSON.parse(readFileSync(join(out, 'onnx', 'metadata.json'), 'utf8')) as Record<string, unknown>
    expect(metadata).toMatchObject({ exportedBy: 'pictor', runId: importedId, modelKind: 'cnn', format: 'onnx', labels: ['blue', 'red'].sort() })
    const props = readOnnxMetadata(new Uint8Array(readFileSync(join(out, 'onnx', 'model.onnx'))))
    expect(JSON.parse(props.pictor_metadata!)).toMatchObject({ runId: importedId })
    const predictor = await exportedModelPredictor(join(out, 'onnx', 'model.onnx'))
    try {
      const path = imagePaths(trained.projectPath, 'test')[0]!
      const [row] = await predictor.predict([await predictor.preprocess(path)])
      const original = await withProjectDbAsync(trained.projectPath, async (db) => {
        const run = await runPredictor(db, trained.runId, { modelsDir: modelsDir(), backend: 'wasm' })
        try {
          return (await run.predict([await run.preprocess(path)]))[0]!
        } finally {
          run.dispose()
        }
      })
      expect(maxAbsDiff(row!, original)).toBeLessThan(1e-4)
    } finally {
      predictor.dispose()
    }
    const refused = join(dir, 'reexport-tfjs')
    await rejects(
      () => withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { runId: importedId, dir: refused, formats: ['onnx', 'tfjs'] }, { modelsDir: modelsDir(), pictorVersion: 'test' })),
      'UNSUPPORTED',
      /imported ONNX model: it exports as ONNX only/
    )
    expect(existsSync(refused)).toBe(false)
  })

  it('answers UNSUPPORTED for a robustness check: FGSM needs gradients', async () => {
    await rejects(() => runRobustness({ projectPath: trained.projectPath, modelsDir: modelsDir(), runId: importedId, count: 4 }, recordingContext()), 'UNSUPPORTED', /needs gradients/)
  })
})

describe('runs import of a bare .onnx (no Pictor metadata)', () => {
  let bare: string

  beforeAll(() => {
    mkdirSync(join(dir, 'bare'))
    bare = join(dir, 'bare', 'classifier.onnx')
    writeFileSync(bare, withMetadataProps(new Uint8Array(readFileSync(join(exported, 'onnx', 'model.onnx'))), {}))
    expect(readOnnxMetadata(new Uint8Array(readFileSync(bare)))).toEqual({})
  })

  it('asks for labels and preprocessing, then imports with them and reads the input size from the graph', { timeout: 60_000 }, async () => {
    const labels = withProjectDb(trained.projectPath, (db) => getRun(db, trained.runId)!.classNames)
    await withProjectDbAsync(trained.projectPath, async (db) => {
      const before = runCount(db)
      await rejects(() => importOnnxRun(db, { path: bare }), 'INVALID_REQUEST', /has no Pictor metadata .* give its labels and preprocessing \(--labels/)
      await rejects(() => importOnnxRun(db, { path: bare, labels }), 'INVALID_REQUEST', /give its preprocessing/)
      expect(runCount(db)).toBe(before)
      const summary = await importOnnxRun(db, { path: bare, labels, preprocessing: 'unit' })
      expect(summary).toMatchObject({ labels, input: { height: 20, width: 20, channels: 3 }, metadataFrom: 'flags', originalKind: 'external', preprocessing: { scale: 1 / 255, offset: 0 } })
      const original = await runPredictor(db, trained.runId, { modelsDir: modelsDir(), backend: 'wasm' })
      const mine = await runPredictor(db, summary.runId, { modelsDir: modelsDir() })
      try {
        const path = imagePaths(trained.projectPath, 'val')[0]!
        const [a] = await mine.predict([await mine.preprocess(path)])
        const [b] = await original.predict([await original.preprocess(path)])
        expect(maxAbsDiff(a!, b!)).toBeLessThan(1e-4)
      } finally {
        mine.dispose()
        original.dispose()
      }
    })
  })

  it('refuses, in one line with a code and writing nothing: wrong label count, unknown label, not ONNX, missing file', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'not a model\n')
    await withProjectDbAsync(trained.projectPath, async (db) => {
      insertClass(db, 'green')
      const before = runCount(db)
      await rejects(() => importOnnxRun(db, { path: bare, labels: ['blue', 'green', 'red'], preprocessing: 'unit' }), 'INVALID_REQUEST', /answers \[2, 2\] for a batch of 2; with 3 labels it should answer \[2, 3\]/)
      await rejects(() => importOnnxRun(db, { path: bare, labels: ['blue', 'purple'], preprocessing: 'unit' }), 'INVALID_REQUEST', /no class named "purple"/)
      await rejects(() => importOnnxRun(db, { path: bare, labels: ['blue', 'blue'], preprocessing: 'unit' }), 'INVALID_REQUEST', /name blue more than once/)
      await rejects(() => importOnnxRun(db, { path: join(dir, 'notes.txt'), labels: ['blue', 'red'], preprocessing: 'unit' }), 'INVALID_REQUEST', /notes\.txt is not an ONNX model/)
      await rejects(() => importOnnxRun(db, { path: join(dir, 'nowhere.onnx') }), 'NOT_FOUND', /nowhere\.onnx does not exist/)
      await rejects(() => importOnnxRun(db, { path: join(dir, 'bare') }), 'NOT_FOUND', /holds no model\.onnx/)
      expect(runCount(db)).toBe(before)
    })
  })
})
