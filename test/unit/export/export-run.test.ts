import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportRun } from '../../../src-main/export/export-run'
import { METADATA_FILE, scalingFor, type ExportMetadata } from '../../../src-main/classifier/model-metadata'
import { OnnxModel } from '../../../src-main/classifier/onnx-runtime'
import { readOnnxMetadata } from '../../../src-main/onnx/export-onnx'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { queueRun, trainSettings } from '../../helpers/training-project'
import { concat, imagePaths, loadExportedTfjs, maxAbsDiff, trainTinyCnn, withProjectDbAsync, type TrainedProject } from './trained-run'

// export.run's core on a real CNN run trained by the real job: both formats written with metadata a
// user can act on, and both exported models — the ONNX one in ONNX Runtime, the TF.js one reloaded
// from its files — answer what the run's own model answers on real images.

let dir: string
let trained: TrainedProject
const modelsDir = join(import.meta.dirname, 'no-models-needed-for-cnn')

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-export-')
  trained = await trainTinyCnn(join(dir, 'project'))
}, 120_000)

afterAll(() => removeTempDir(dir))

const exportTo = (out: string, formats: ('onnx' | 'tfjs')[] = ['onnx', 'tfjs'], runId?: number) =>
  withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { dir: out, formats, ...(runId ? { runId } : {}) }, { modelsDir, pictorVersion: '9.9.9' }))

const readMetadata = (folder: string) => JSON.parse(readFileSync(join(folder, METADATA_FILE), 'utf8')) as ExportMetadata

describe('exportRun', () => {
  it('writes ONNX and TF.js, each with metadata.json and a README, for the latest finished run', async () => {
    const out = join(dir, 'out-both')
    const result = await exportTo(out)
    expect(result).toMatchObject({
      runId: trained.runId,
      dir: out,
      files: ['onnx/model.onnx', 'onnx/metadata.json', 'onnx/README.md', 'tfjs/model.json', 'tfjs/group1-shard1of1.bin', 'tfjs/metadata.json', 'tfjs/README.md']
    })
    expect(result.snippets!.map((snippet) => [snippet.format, snippet.language])).toEqual([['onnx', 'python'], ['tfjs', 'javascript']])
    expect(result.snippets![0]!.code).toContain(`ort.InferenceSession(${JSON.stringify(join(out, 'onnx', 'model.onnx'))})`)
    for (const file of result.files) expect(existsSync(join(out, file)), file).toBe(true)
    // No staging folder is left behind.
    expect(readdirSync(out).sort()).toEqual(['onnx', 'tfjs'])

    const onnx = readMetadata(join(out, 'onnx'))
    expect(onnx).toMatchObject({
      format: 'onnx',
      exportedBy: 'pictor',
      pictorVersion: '9.9.9',
      runId: trained.runId,
      modelKind: 'cnn',
      labels: ['blue', 'red'],
      input: { name: 'input', height: 20, width: 20, channels: 3, layout: 'NHWC', dtype: 'float32' },
      preprocessing: { colorOrder: 'RGB', resize: { width: 20, height: 20, fit: 'fill' }, scale: 1 / 255, offset: 0 },
      output: 'probabilities',
      baseModelVersion: null
    })
    expect(new Date(onnx.createdAt).getTime()).toBeGreaterThan(Date.now() - 120_000)
    expect(readMetadata(join(out, 'tfjs'))).toMatchObject({ ...onnx, format: 'tfjs', createdAt: expect.any(String) })

    // The .onnx file carries the same facts in its metadata_props.
    const props = readOnnxMetadata(readFileSync(join(out, 'onnx', 'model.onnx')))
    expect(JSON.parse(props.labels!)).toEqual(['blue', 'red'])
    expect(props.run_id).toBe(String(trained.runId))
    expect(JSON.parse(props.preprocessing!)).toEqual(onnx.preprocessing)
    expect(JSON.parse(props.input!)).toEqual(onnx.input)

    // The READMEs show the exact scaling in code, and the class order.
    const python = readFileSync(join(out, 'onnx', 'README.md'), 'utf8')
    expect(python).toContain('np.float32(0.00392156862745098) + np.float32(0.0)')
    expect(python).toContain('resize((20, 20), Image.LANCZOS)')
    expect(python).toContain('0. blue\n1. red')
    const browser = readFileSync(join(out, 'tfjs', 'README.md'), 'utf8')
    expect(browser).toContain("tf.loadLayersModel('model/model.json')")
    expect(browser).toContain('.mul(0.00392156862745098).add(0)')
    expect(JSON.parse(readFileSync(join(out, 'tfjs', 'model.json'), 'utf8')).userDefinedMetadata.pictor.labels).toEqual(['blue', 'red'])
  })

  it("the exported ONNX (in ONNX Runtime) and TF.js (reloaded from disk) models answer like the run's model on real images", async () => {
    const out = join(dir, 'out-compare')
    await exportTo(out)
    const paths = [...imagePaths(trained.projectPath, 'test'), ...imagePaths(trained.projectPath, 'val')]
    expect(paths.length).toBe(14)
    const tensorsBefore = tf.memory().numTensors
    const classifier = await withProjectDbAsync(trained.projectPath, (db) => loadRunClassifier(db, trained.runId, { modelsDir, backend: 'wasm' }))
    try {
      const input = concat(await Promise.all(paths.map((path) => classifier.preprocess(path))))
      const shape = [paths.length, 20, 20, 3] as [number, number, number, number]
      const expected = tf.tidy(() => (classifier.model.predict(tf.tensor4d(input, shape)) as tf.Tensor).dataSync() as Float32Array)

      const session = await OnnxModel.create(readFileSync(join(out, 'onnx', 'model.onnx')))
      const fromOnnx = await session.run(input, shape)
      await session.dispose()
      expect(fromOnnx.length).toBe(paths.length * 2)
      expect(maxAbsDiff(fromOnnx, expected)).toBeLessThan(1e-4)

      const reloaded = await loadExportedTfjs(join(out, 'tfjs', 'model.json'))
      const fromTfjs = tf.tidy(() => (reloaded.predict(tf.tensor4d(input, shape)) as tf.Tensor).dataSync() as Float32Array)
      reloaded.dispose()
      expect(maxAbsDiff(fromTfjs, expected)).toBeLessThan(1e-4)

      // The metadata's scale and offset reproduce the run's own preprocessing.
      const { scale, offset } = scalingFor('cnn')
      const bytes = Float32Array.from(input.slice(0, 30), (value) => Math.round(value * 255))
      expect(maxAbsDiff(Float32Array.from(bytes, (value) => value * scale + offset), input.slice(0, 30))).toBeLessThan(1e-7)
    } finally {
      classifier.dispose()
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore)
  })

  it('replaces its own earlier export but refuses a folder holding other files', async () => {
    const out = join(dir, 'out-again')
    await exportTo(out, ['onnx'])
    const first = readMetadata(join(out, 'onnx')).createdAt
    await new Promise((resolve) => setTimeout(resolve, 5))
    const again = await exportTo(out, ['onnx'])
    expect(again.files).toEqual(['onnx/model.onnx', 'onnx/metadata.json', 'onnx/README.md'])
    expect(readMetadata(join(out, 'onnx')).createdAt).not.toBe(first)
    expect(readdirSync(out)).toEqual(['onnx'])

    const foreign = join(dir, 'out-foreign')
    mkdirSync(join(foreign, 'tfjs'), { recursive: true })
    writeFileSync(join(foreign, 'tfjs', 'notes.txt'), 'mine')
    await expect(exportTo(foreign)).rejects.toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('not a Pictor export') })
    // Refused before anything was written: no onnx folder, no staging folder, the user's file intact.
    expect(readdirSync(foreign)).toEqual(['tfjs'])
    expect(readFileSync(join(foreign, 'tfjs', 'notes.txt'), 'utf8')).toBe('mine')
  })

  it('says clearly when the run or the destination is wrong', async () => {
    await expect(exportTo(join(dir, 'x'), ['onnx'], 999)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'run 999 does not exist' })
    const queued = queueRun(trained.projectPath, trainSettings())
    await expect(exportTo(join(dir, 'x'), ['onnx'], queued)).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('has no trained model') })
    withProjectDb(trained.projectPath, (db) => db.prepare('DELETE FROM training_runs WHERE id = ?').run(queued))
    const file = join(dir, 'a-file')
    writeFileSync(file, 'not a folder')
    await expect(exportTo(join(file, 'inside'))).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('is not a folder') })
    await expect(exportTo(file)).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('is not a folder') })
  })
})
