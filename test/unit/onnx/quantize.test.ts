import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { memoryHandler, readBaseModel } from '../../../src-main/classifier/features/base-model'
import { FeatureExtractor } from '../../../src-main/classifier/features/feature-extractor'
import { quantizeOnImages } from '../../../src-main/classifier/features/calibrating-quantizer'
import { preprocessForMobileNet } from '../../../src-main/classifier/features/mobilenet-preprocess'
import { loadOnnxRuntime, OnnxModel } from '../../../src-main/classifier/onnx-runtime'
import { exportLayersModelToOnnx } from '../../../src-main/onnx/export-onnx'
import { decodeModel, type ModelMessage } from '../../../src-main/onnx/onnx-schema'
import { TensorType } from '../../../src-main/onnx/quantize/tensors'
import { DEFAULT_FLOAT_CONVS } from '../../../src-main/onnx/quantize/quantize-model'
import { bmpToPng, hasPretrained, NO_PRETRAINED, SHARED_MODELS_DIR, sharedFile } from '../../helpers/mobilenet'
import { checkOnnxFile, NO_PYTHON_ONNX } from '../../helpers/onnx-checker'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'

// Static QDQ int8 quantization (issue 18) of the real pretrained MobileNetV2, calibrated on the six
// shared test photos and run by the real ONNX Runtime: the file is valid ONNX with int8
// per-channel weights, ONNX Runtime turns it into QLinearConv, and its answers stay those of float32.

const PHOTOS = ['cat.bmp', 'grace_hopper.bmp', 'hot_dog.jpg', 'owl.jpg', 'parrot.jpg', 'sunflower.bmp']
let dir: string

let skip: string | null = null
let photoPaths: string[] = []
let features: { float: Uint8Array; int8: Uint8Array } | null = null
let classifier: { float: Uint8Array; int8: Uint8Array } | null = null

beforeAll(async () => {
  if (!hasPretrained) return void (skip = NO_PRETRAINED)
  const runtime = await loadOnnxRuntime()
  if (!runtime.ort) return void (skip = runtime.reason)
  await activateBackend('wasm')
  dir = makeTempDir('pictor-quantize-')
  photoPaths = await Promise.all(
    PHOTOS.map(async (name) => {
      if (!name.endsWith('.bmp')) return sharedFile('test_images', name)
      const path = join(dir, name.replace(/\.bmp$/, '.png'))
      writeFileSync(path, await bmpToPng(readFileSync(sharedFile('test_images', name))))
      return path
    })
  )
  const extractor = await FeatureExtractor.load(SHARED_MODELS_DIR)
  const featureGraph = exportLayersModelToOnnx(extractor.model)
  extractor.dispose()
  features = { float: featureGraph, int8: (await quantizeOnImages(featureGraph, photoPaths, 224)).bytes }
  const files = await readBaseModel(sharedFile('mobilenet_v2_1.0_224_imagenet_qat_head', 'model.json'), 'imagenet_qat_head')
  const model = await tfl.loadLayersModel(memoryHandler(files.artifacts))
  const classifierGraph = exportLayersModelToOnnx(model)
  model.dispose()
  classifier = { float: classifierGraph, int8: (await quantizeOnImages(classifierGraph, photoPaths, 224)).bytes }
}, 300_000)

afterAll(() => dir && removeTempDir(dir))

async function run(bytes: Uint8Array, images: Float32Array[]): Promise<{ values: Float32Array; width: number }> {
  const model = await OnnxModel.create(bytes)
  try {
    const input = new Float32Array(images.length * images[0]!.length)
    images.forEach((image, index) => input.set(image, index * image.length))
    const output = await model.runWithShape(input, [images.length, 224, 224, 3])
    return { values: output.values, width: output.shape[1]! }
  } finally {
    await model.dispose()
  }
}

const rows = ({ values, width }: { values: Float32Array; width: number }) => Array.from({ length: values.length / width }, (_, i) => values.subarray(i * width, (i + 1) * width))

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let aa = 0
  let bb = 0
  a.forEach((value, index) => {
    dot += value * b[index]!
    aa += value * value
    bb += b[index]! * b[index]!
  })
  return dot / Math.sqrt(aa * bb)
}

/** Every Conv's weight: the initializer its DequantizeLinear reads, with that node's scale and axis. */
function convWeights(model: ModelMessage) {
  const initializers = new Map(model.graph.initializer.map((tensor) => [tensor.name, tensor]))
  const producers = new Map(model.graph.node.map((node) => [node.output[0]!, node]))
  return model.graph.node
    .filter((node) => node.opType === 'Conv')
    .map((conv) => {
      const dequantize = producers.get(conv.input[1]!)
      return {
        dequantize,
        weight: initializers.get(dequantize?.input[0] ?? ''),
        scale: initializers.get(dequantize?.input[1] ?? ''),
        axis: dequantize?.attribute.find((attribute) => attribute.name === 'axis')?.i
      }
    })
}

describe('int8 QDQ quantization of MobileNetV2', () => {
  it('writes int8 per-channel weights and 8-bit activations, in a file under 0.35× the float32 one', async (ctx) => {
    if (skip) return ctx.skip(skip)
    const model = decodeModel(features!.int8)
    const weights = convWeights(model)
    expect(weights).toHaveLength(52)
    // The stem (the first DEFAULT_FLOAT_CONVS convs) stays float32; every other conv is int8.
    expect(weights.slice(0, DEFAULT_FLOAT_CONVS).map(({ dequantize }) => dequantize)).toEqual([undefined, undefined, undefined])
    for (const { dequantize, weight, scale, axis } of weights.slice(DEFAULT_FLOAT_CONVS)) {
      expect(dequantize?.opType).toBe('DequantizeLinear')
      expect(weight?.dataType).toBe(TensorType.INT8)
      expect(Number(axis ?? 0)).toBe(0) // protobuf leaves a 0 unwritten; ONNX reads it as 0
      expect(scale!.dims.map(Number)).toEqual([Number(weight!.dims[0])])
    }
    expect(model.graph.initializer.filter((tensor) => tensor.dataType === TensorType.FLOAT && tensor.dims.length === 4)).toHaveLength(DEFAULT_FLOAT_CONVS)
    expect(model.graph.node.filter((node) => node.opType === 'QuantizeLinear').length).toBeGreaterThan(50)
    expect(model.metadataProps.find((entry) => entry.key === 'pictor_quantization')?.value).toMatch(/49 convs .* on 6 images/)
    expect(features!.int8.length / features!.float.length).toBeLessThan(0.35)
  })

  it('is fused by ONNX Runtime into QLinearConv and QLinearAdd, leaving no float convolution but the stem', async (ctx) => {
    if (skip) return ctx.skip(skip)
    const { ort } = await loadOnnxRuntime()
    const optimized = join(dir, 'optimized.onnx')
    const session = await ort!.InferenceSession.create(features!.int8, { graphOptimizationLevel: 'all', optimizedModelFilePath: optimized })
    await session.release()
    const ops = decodeModel(readFileSync(optimized)).graph.node.map((node) => node.opType)
    expect(ops.filter((op) => op === 'QLinearConv')).toHaveLength(52 - DEFAULT_FLOAT_CONVS)
    expect(ops.filter((op) => op === 'QLinearAdd')).toHaveLength(10)
    expect(ops.filter((op) => op === 'Conv' || op === 'FusedConv' || op === 'Clip')).toHaveLength(DEFAULT_FLOAT_CONVS)
  })

  it('passes onnx.checker (where Python’s onnx package is installed)', (ctx) => {
    if (skip) return ctx.skip(skip)
    if (NO_PYTHON_ONNX) return ctx.skip(NO_PYTHON_ONNX)
    const path = join(dir, 'int8.onnx')
    writeFileSync(path, features!.int8)
    const check = checkOnnxFile(path)
    expect(check.untypedOutputs).toEqual([])
    expect(check.outputs[0]!.shape.slice(1)).toEqual([1280])
  })

  it('gives features within cosine 0.99 of float32 on the shared photos, and the same ImageNet top-1 on every one', async (ctx) => {
    if (skip) return ctx.skip(skip)
    const images = await Promise.all(photoPaths.map((path) => preprocessForMobileNet(path)))
    const [floatFeatures, int8Features] = [rows(await run(features!.float, images)), rows(await run(features!.int8, images))]
    const cosines = floatFeatures.map((values, index) => cosine(values, int8Features[index]!))
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.99)
    const top1 = (probabilities: Float32Array) => probabilities.indexOf(Math.max(...probabilities))
    const [floatClasses, int8Classes] = [rows(await run(classifier!.float, images)).map(top1), rows(await run(classifier!.int8, images)).map(top1)]
    const agreement = floatClasses.filter((label, index) => label === int8Classes[index]).length / images.length
    console.log(`int8 vs float32 on the ${images.length} shared photos: feature cosine ${cosines.map((c) => c.toFixed(4)).join(' ')}; ImageNet top-1 agreement ${(agreement * 100).toFixed(0)} %`)
    expect(agreement).toBe(1)
  })
})
