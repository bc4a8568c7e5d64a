import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExportResult, TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { exportRun } from '../../../src-main/export/export-run'
import type { ExportMetadata } from '../../../src-main/classifier/model-metadata'
import { onnxRuntimeChosen } from '../../../src-main/classifier/inference-engine'
import { OnnxModel } from '../../../src-main/classifier/onnx-runtime'
import { preprocessForMobileNet } from '../../../src-main/classifier/features/mobilenet-preprocess'
import { readOnnxMetadata } from '../../../src-main/onnx/export-onnx'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { transferTrainingJob } from '../../../src-main/workers/training-job'
import { hasPretrained, NO_PRETRAINED, SHARED_MODELS_DIR } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'
import { expectExportedOnnx, NO_PYTHON_ONNX } from '../../helpers/onnx-checker'
import { imagePaths, trainTinyCnn, withProjectDbAsync } from './trained-run'

// `export --quantize int8` (issue 18) of a real one-click MobileNetV2 run: the ONNX file is the
// int8 classifier (backbone + head), at most 0.35× the float32 file, and metadata.json, the ONNX
// metadata and the README carry its comparison with float32 on the project's test split.

let dir: string
let projectPath: string
let skip: string | null = null

beforeAll(async () => {
  if (!hasPretrained) return void (skip = NO_PRETRAINED)
  if (!(await onnxRuntimeChosen())) return void (skip = 'ONNX Runtime (onnxruntime-node) is not installed')
  await activateBackend('wasm')
  dir = makeTempDir('pictor-int8-export-')
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [6, 6], test: [3, 3] }))).projectPath
  const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224 }) as TrainSettings
  const runId = queueRun(projectPath, settings)
  await transferTrainingJob({ projectPath, modelsDir: SHARED_MODELS_DIR, cacheDir: join(dir, 'cache'), runId, settings, resume: false }, recordingContext())
}, 300_000)

afterAll(() => dir && removeTempDir(dir))

const exportTo = (out: string, request: { formats: ('onnx' | 'tfjs')[]; quantize?: 'none' | 'int8' }, project = projectPath) =>
  withProjectDbAsync(project, (db) => exportRun(db, { dir: out, ...request }, { modelsDir: SHARED_MODELS_DIR, pictorVersion: 'test' }))

let exported: Promise<{ floatDir: string; int8Dir: string; result: ExportResult }> | undefined

/** The run exported once as float32 and once as int8 ONNX, for every test that reads the files. */
function exportBoth() {
  exported ??= (async () => {
    const [floatDir, int8Dir] = [join(dir, 'float'), join(dir, 'int8')]
    await exportTo(floatDir, { formats: ['onnx'] })
    return { floatDir, int8Dir, result: await exportTo(int8Dir, { formats: ['onnx'], quantize: 'int8' }) }
  })()
  return exported
}

describe('export --quantize int8', () => {
  it('writes the int8 classifier at most 0.35× the float32 file, with its test-split comparison in metadata and README', async (ctx) => {
    if (skip) return ctx.skip(skip)
    const { floatDir, int8Dir, result } = await exportBoth()
    expect(result.files).toContain('onnx/model.onnx')
    const [floatFile, int8File] = [join(floatDir, 'onnx', 'model.onnx'), join(int8Dir, 'onnx', 'model.onnx')]
    const ratio = statSync(int8File).size / statSync(floatFile).size
    expect(ratio).toBeLessThanOrEqual(0.35)

    const metadata = JSON.parse(readFileSync(join(int8Dir, 'onnx', 'metadata.json'), 'utf8')) as ExportMetadata
    const q = metadata.quantization!
    expect(q).toMatchObject({ precision: 'int8', calibrationImages: 12 })
    expect(q.method).toMatch(/^int8 QDQ: 49 convs/)
    expect(q.test).toMatchObject({ images: 6 })
    for (const share of [q.test!.float32Top1, q.test!.int8Top1, q.test!.agreement]) expect(share).toBeGreaterThanOrEqual(0)
    expect(q.test!.agreement).toBeLessThanOrEqual(1)
    const props = readOnnxMetadata(readFileSync(int8File))
    expect(JSON.parse(props.pictor_metadata!).quantization).toEqual(q)
    expect(props.pictor_quantization).toBe(q.method)
    const readme = readFileSync(join(int8Dir, 'onnx', 'README.md'), 'utf8')
    expect(readme).toContain('## int8')
    expect(readme).toContain('same top class for')
    console.log(`int8 export: ${ratio.toFixed(3)}× the float32 file; test split ${JSON.stringify(q.test)}`)

    // The file runs as it says: float32 NHWC in, class probabilities out.
    const model = await OnnxModel.create(new Uint8Array(readFileSync(int8File)))
    try {
      const images = await Promise.all(imagePaths(projectPath, 'test').slice(0, 2).map((path) => preprocessForMobileNet(path)))
      const input = new Float32Array(2 * images[0]!.length)
      images.forEach((image, index) => input.set(image, index * image.length))
      const { values, shape } = await model.runWithShape(input, [2, 224, 224, 3])
      expect(shape).toEqual([2, metadata.labels.length])
      expect(values[0]! + values[1]!).toBeCloseTo(1, 4)
    } finally {
      await model.dispose()
    }
  }, 300_000)

  it('writes float32 and int8 ONNX files the ONNX project’s checker accepts (full_check, strict shape inference)', async (ctx) => {
    if (skip) return ctx.skip(skip)
    if (NO_PYTHON_ONNX) return ctx.skip(NO_PYTHON_ONNX)
    const { floatDir, int8Dir } = await exportBoth()
    expectExportedOnnx(join(floatDir, 'onnx'))
    const int8 = expectExportedOnnx(join(int8Dir, 'onnx'))
    // QuantizeLinear/DequantizeLinear with per-channel axes need opset 13 or later.
    expect(int8.opsets['ai.onnx']).toBeGreaterThanOrEqual(13)
  }, 300_000)

  it('refuses a format other than ONNX, and a CNN run, before writing anything', async (ctx) => {
    if (skip) return ctx.skip(skip)
    await expect(exportTo(join(dir, 'tfjs-int8'), { formats: ['tfjs'], quantize: 'int8' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    const cnn = await trainTinyCnn(join(dir, 'cnn'))
    await expect(exportTo(join(dir, 'cnn-int8'), { formats: ['onnx'], quantize: 'int8' }, cnn.projectPath)).rejects.toMatchObject({ code: 'UNSUPPORTED' })
  }, 300_000)
})
