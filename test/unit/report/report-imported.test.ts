import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importOnnxRun } from '../../../src-main/classifier/onnx-run-import'
import { exportRun } from '../../../src-main/export/export-run'
import { escapeHtml } from '../../../src-main/report/html'
import { writeRunReport } from '../../../src-main/report/write-report'
import { evaluationReport } from '../../../src-main/review/evaluate-report'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { recordingContext } from '../../helpers/training-project'
import { trainTinyCnn, withProjectDbAsync, type TrainedProject } from '../export/trained-run'
import { expectCompleteReport } from './report-checks'

// The report of a run trained elsewhere (here: Pictor's own ONNX export, imported back): where it
// came from and its input as its metadata says; no curves, and a limit saying what is not known.

let dir: string
let trained: TrainedProject
let importedId: number
let source: string

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-report-imported-')
  trained = await trainTinyCnn(join(dir, 'project'))
  const exported = join(dir, 'export')
  await withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { runId: trained.runId, dir: exported, formats: ['onnx'] }, { modelsDir: join(dir, 'models'), pictorVersion: 'test' }))
  const summary = await withProjectDbAsync(trained.projectPath, (db) => importOnnxRun(db, { path: join(exported, 'onnx') }))
  importedId = summary.runId
  source = summary.source
}, 180_000)

afterAll(() => removeTempDir(dir))

describe('writeRunReport on an imported ONNX run', () => {
  it('says where the model came from, evaluates it through ONNX Runtime and reports it', { timeout: 60_000 }, async () => {
    const outPath = join(dir, 'imported.html')
    const result = await writeRunReport({ projectPath: trained.projectPath, modelsDir: join(dir, 'models'), thumbnailsDir: null, runId: importedId, outPath }, recordingContext())
    expect(result).toMatchObject({ runId: importedId, evaluated: true })
    const text = readFileSync(outPath, 'utf8')
    const [test, val] = withProjectDb(trained.projectPath, (db) => [evaluationReport(db, importedId, 'test')!, evaluationReport(db, importedId, 'val')])
    expect(test.engine).toBe('onnxruntime')
    expectCompleteReport(text, { test, val })
    expect(text).toContain(`Imported ONNX model (onnx): trained elsewhere and imported from ${escapeHtml(source)}`)
    expect(text).toContain('originally cnn, written by Pictor test; metadata from metadata_props')
    expect(text).toContain('20 × 20 px, 3 channels (RGB)')
    expect(text).toContain('No epochs recorded')
    expect(text).toContain('Trained outside Pictor')
  })
})
