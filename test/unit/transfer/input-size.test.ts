import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { medianShortSide } from '../../../src-main/db/queries/image-sizes'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { getRun } from '../../../src-main/db/queries/training-runs'
import { exportRun } from '../../../src-main/export/export-run'
import type { ExportMetadata } from '../../../src-main/classifier/model-metadata'
import { OnnxModel } from '../../../src-main/classifier/onnx-runtime'
import { onnxRuntimeChosen } from '../../../src-main/classifier/inference-engine'
import type { TransferRunResult } from '../../../src-main/classifier/transfer-info'
import { evaluateRun } from '../../../src-main/review/evaluate-job'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { chooseFeatures, chooseInputSize, MIN_UPSCALE } from '../../../src-main/transfer/feature-choice'
import { transferTrainingJob } from '../../../src-main/workers/training-job'
import { fixturePath } from '../../helpers/image-fixtures'
import { runImport, setUpImport, withProjectDb } from '../../helpers/import-project'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'
import { withProjectDbAsync } from '../export/trained-run'

// 'auto' input size (issue 18): the median shorter side of the run's training images, from the sizes
// the importer recorded, picks the smallest offered side at least MIN_UPSCALE times it; the run
// records the size it used, and a run at 96 px evaluates and exports at 96 px.

let dir: string

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-input-size-')
}, 60_000)

afterAll(() => removeTempDir(dir))

describe('medianShortSide', () => {
  it('is the median of min(width, height) of the listed images, as the importer recorded them', async () => {
    mkdirSync(join(dir, 'sizes'))
    const setup = setUpImport(join(dir, 'sizes'))
    // width × height; shorter sides 20, 30, 48, 100, 340.
    const sizes = [[20, 20], [40, 30], [48, 64], [200, 100], [512, 340]] as const
    for (const [index, [width, height]] of sizes.entries()) {
      const png = await sharp({ create: { width, height, channels: 3, background: { r: 40 * index, g: 90, b: 200 } } }).png().toBuffer()
      writeFileSync(fixturePath(setup.folder, `all/img-${index}.png`), png)
    }
    expect((await runImport(setup)).imported).toBe(5)
    withProjectDb(setup.projectPath, (db) => {
      const ids = (db.prepare('SELECT id FROM images ORDER BY width').pluck().all() as number[])
      expect(medianShortSide(db, ids)).toBe(48)
      // An even count: the mean of the middle two; duplicates count once; unknown ids are ignored.
      expect(medianShortSide(db, ids.slice(0, 4))).toBe(39)
      expect(medianShortSide(db, [ids[0]!, ids[0]!, ids[4]!, 99_999])).toBe(180)
      expect(medianShortSide(db, [])).toBeNull()
      expect(medianShortSide(db, [99_999])).toBeNull()
    })
  })
})

describe('chooseInputSize', () => {
  it('picks the smallest offered side at least 4× the median shorter side, and 224 from 49 px up or when unknown', () => {
    expect(MIN_UPSCALE).toBe(4)
    const pick = (side: number | null) => chooseInputSize({ medianShortSide: side })
    expect([1, 20, 24].map(pick)).toEqual([96, 96, 96])
    expect([24.5, 32].map(pick)).toEqual([128, 128])
    expect([32.5, 40].map(pick)).toEqual([160, 160])
    expect([40.5, 48].map(pick)).toEqual([192, 192])
    expect([48.5, 49, 56, 224, 4000].map(pick)).toEqual([224, 224, 224, 224, 224])
    expect([null, 0, -3, Number.NaN].map(pick)).toEqual([224, 224, 224, 224])
  })

  it("resolves only 'auto', and says what it chose and from what", () => {
    expect(chooseFeatures({ inputSize: 'auto', quantize: 'none' }, { medianShortSide: 32 })).toEqual({
      spec: { inputSize: 128, boundary: 'pooled', precision: 'float32' },
      chosen: ["input size 128 px (images' median shorter side 32 px)"]
    })
    expect(chooseFeatures({ inputSize: 160, quantize: 'none' }, { medianShortSide: 32 }).spec.inputSize).toBe(160)
    expect(chooseFeatures({ inputSize: 'auto', quantize: 'none' }, { medianShortSide: null }).chosen).toEqual(['input size 224 px'])
  })
})

describe("a one-click run with input size 'auto' on 20 px images", () => {
  let modelsDir: string
  let projectPath: string
  let runId: number
  let result: TransferRunResult

  beforeAll(async () => {
    modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
    if (!hasPretrained) await writeRandomBaseModel(modelsDir)
    projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [6, 6], val: [2, 2], test: [3, 3] }))).projectPath
    const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 'auto', quantize: 'none' }) as TrainSettings
    runId = queueRun(projectPath, settings)
    result = await transferTrainingJob({ projectPath, modelsDir, cacheDir: join(dir, 'cache'), runId, settings, resume: false }, recordingContext())
  }, 300_000)

  it('trains at 96 px and records the size and why', () => {
    expect(withProjectDb(projectPath, (db) => medianShortSide(db, loadTrainingExamples(db).examples.map((example) => example.imageId)))).toBe(20)
    expect(result.transfer.featureSpec).toEqual({ inputSize: 96, boundary: 'pooled', precision: 'float32' })
    expect(result.transfer.input).toEqual([96, 96, 3])
    expect(result.transfer.preprocessing).toContain('96×96')
    expect(result.transfer.extraction).toMatchObject({ total: 22, computed: 22 })
    expect(result.notes.some((note) => note.startsWith("chosen from the data: input size 96 px (images' median shorter side 20 px)"))).toBe(true)
    expect(withProjectDb(projectPath, (db) => getRun(db, runId))).toMatchObject({ status: 'done', hasModel: true })
  })

  it('evaluates at 96 px and exports an ONNX classifier whose input is 96 × 96 × 3', async (context) => {
    const evaluation = await evaluateRun({ projectPath, modelsDir, cacheDir: join(dir, 'cache'), runId, backend: 'wasm' }, recordingContext())
    expect(evaluation).toMatchObject({ predicted: 22, skipped: 0 })
    if (!(await onnxRuntimeChosen())) return context.skip('ONNX Runtime (onnxruntime-node) is not installed')
    const out = join(dir, 'export')
    await withProjectDbAsync(projectPath, (db) => exportRun(db, { runId, dir: out, formats: ['onnx'] }, { modelsDir, pictorVersion: 'test' }))
    const metadata = JSON.parse(readFileSync(join(out, 'onnx', 'metadata.json'), 'utf8')) as ExportMetadata
    expect(metadata.input).toMatchObject({ height: 96, width: 96, channels: 3 })
    const session = await OnnxModel.create(readFileSync(join(out, 'onnx', 'model.onnx')))
    try {
      const output = await session.runWithShape(new Float32Array(2 * 96 * 96 * 3), [2, 96, 96, 3])
      expect(output.shape).toEqual([2, 2])
      await expect(session.run(new Float32Array(224 * 224 * 3), [1, 224, 224, 3])).rejects.toThrow()
    } finally {
      await session.dispose()
    }
  }, 300_000)
})
