import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
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
import { expectExportedOnnx, NO_PYTHON_ONNX } from '../../helpers/onnx-checker'
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
const readManifest = (folder: string) => JSON.parse(readFileSync(join(folder, 'pictor-manifest.json'), 'utf8')) as { files: Record<string, string> }
const sha256Text = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const sha256 = (path: string) => sha256Text(readFileSync(path))

/** Every file below `root` (relative path → SHA-256 of its bytes), to compare a folder before and after. */
function snapshot(root: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>()
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const path = join(root, prefix, name)
    if (statSync(path).isDirectory()) for (const [file, hash] of snapshot(root, join(prefix, name))) files.set(file, hash)
    else files.set(join(prefix, name), sha256(path))
  }
  return files
}

describe('exportRun', () => {
  it('writes ONNX and TF.js, each with metadata.json and a README, for the latest finished run', async () => {
    const out = join(dir, 'out-both')
    const result = await exportTo(out)
    expect(result).toMatchObject({
      runId: trained.runId,
      dir: out,
      files: [
        'onnx/model.onnx', 'onnx/metadata.json', 'onnx/drift-reference.json', 'onnx/README.md', 'onnx/pictor-manifest.json',
        'tfjs/model.json', 'tfjs/group1-shard1of1.bin', 'tfjs/metadata.json', 'tfjs/drift-reference.json', 'tfjs/README.md', 'tfjs/pictor-manifest.json'
      ],
      kept: []
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
      const expected = tf.tidy(() => (classifier.model!.predict(tf.tensor4d(input, shape)) as tf.Tensor).dataSync() as Float32Array)

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

  it('writes an ONNX file the ONNX project’s checker accepts (full_check, strict shape inference)', async (ctx) => {
    if (NO_PYTHON_ONNX) return ctx.skip(NO_PYTHON_ONNX)
    const out = join(dir, 'out-checked')
    await exportTo(out, ['onnx'])
    expectExportedOnnx(join(out, 'onnx'))
  })

  it("a re-export replaces only the files Pictor wrote and keeps the user's own files in the folder", async () => {
    const out = join(dir, 'out-again')
    await exportTo(out, ['onnx', 'tfjs'])
    const first = readMetadata(join(out, 'onnx')).createdAt
    // The user adds their own files beside the export.
    writeFileSync(join(out, 'onnx', 'notes.txt'), 'mine')
    mkdirSync(join(out, 'tfjs', 'demo'))
    writeFileSync(join(out, 'tfjs', 'demo', 'index.html'), '<p>my demo</p>')
    await new Promise((resolve) => setTimeout(resolve, 5))

    const again = await exportTo(out, ['onnx', 'tfjs'])
    expect(again.files).toEqual([
      'onnx/model.onnx', 'onnx/metadata.json', 'onnx/drift-reference.json', 'onnx/README.md', 'onnx/pictor-manifest.json',
      'tfjs/model.json', 'tfjs/group1-shard1of1.bin', 'tfjs/metadata.json', 'tfjs/drift-reference.json', 'tfjs/README.md', 'tfjs/pictor-manifest.json'
    ])
    expect(again.kept).toEqual(['onnx/notes.txt', 'tfjs/demo'])
    expect(readMetadata(join(out, 'onnx')).createdAt).not.toBe(first)
    expect(readFileSync(join(out, 'onnx', 'notes.txt'), 'utf8')).toBe('mine')
    expect(readFileSync(join(out, 'tfjs', 'demo', 'index.html'), 'utf8')).toBe('<p>my demo</p>')
    // No staging or backup folder is left behind.
    expect(readdirSync(out).sort()).toEqual(['onnx', 'tfjs'])
    // The manifest lists what Pictor wrote, with each file's SHA-256, and nothing of the user's.
    const manifest = readManifest(join(out, 'onnx'))
    expect(Object.keys(manifest.files).sort()).toEqual(['README.md', 'drift-reference.json', 'metadata.json', 'model.onnx'])
    expect(manifest.files['model.onnx']).toBe(sha256(join(out, 'onnx', 'model.onnx')))
  })

  it('refuses, changing nothing, when a file Pictor would write was edited by the user or is not from Pictor', async () => {
    const out = join(dir, 'out-edited')
    await exportTo(out, ['onnx'])
    const model = readFileSync(join(out, 'onnx', 'model.onnx'))
    writeFileSync(join(out, 'onnx', 'README.md'), 'my own notes on this model')
    await expect(exportTo(out, ['onnx'])).rejects.toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('README.md') })
    expect(readFileSync(join(out, 'onnx', 'README.md'), 'utf8')).toBe('my own notes on this model')
    expect(readFileSync(join(out, 'onnx', 'model.onnx')).equals(model)).toBe(true)
    expect(readdirSync(out)).toEqual(['onnx'])

    // A folder Pictor never wrote into: a file of the user's with one of Pictor's names is refused
    // before anything is written; other files of the user's are kept and the export goes in beside them.
    const foreign = join(dir, 'out-foreign')
    mkdirSync(join(foreign, 'tfjs'), { recursive: true })
    writeFileSync(join(foreign, 'tfjs', 'model.json'), '{"mine": true}')
    await expect(exportTo(foreign)).rejects.toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('model.json') })
    expect(readdirSync(foreign)).toEqual(['tfjs'])
    expect(readdirSync(join(foreign, 'tfjs'))).toEqual(['model.json'])
    const beside = join(dir, 'out-beside')
    mkdirSync(join(beside, 'onnx'), { recursive: true })
    writeFileSync(join(beside, 'onnx', 'notes.txt'), 'mine')
    expect((await exportTo(beside, ['onnx'])).kept).toEqual(['onnx/notes.txt'])
    expect(readdirSync(join(beside, 'onnx')).sort()).toEqual(['README.md', 'drift-reference.json', 'metadata.json', 'model.onnx', 'notes.txt', 'pictor-manifest.json'])
  })

  it('a failure while moving the new files in puts every folder back as it was', async () => {
    const out = join(dir, 'out-atomic')
    await exportTo(out)
    writeFileSync(join(out, 'onnx', 'notes.txt'), 'mine')
    const before = snapshot(out)
    // The user saves a file with one of Pictor's names into tfjs/ just after onnx/ was updated: the
    // export must fail and take its onnx/ changes back.
    const failing = withProjectDbAsync(trained.projectPath, (db) =>
      exportRun(db, { dir: out, formats: ['onnx', 'tfjs'] }, {
        modelsDir,
        pictorVersion: '9.9.9',
        onProgress: (message) => {
          if (message.startsWith('Moving the TF.js files')) writeFileSync(join(out, 'tfjs', 'README.md'), 'now mine')
        }
      })
    )
    await expect(failing).rejects.toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('README.md') })
    const after = snapshot(out)
    expect(after.get('tfjs/README.md')).toBe(sha256Text('now mine'))
    after.delete('tfjs/README.md')
    before.delete('tfjs/README.md')
    expect(after).toEqual(before)
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
