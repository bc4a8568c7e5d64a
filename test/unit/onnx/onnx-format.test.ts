import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadOnnxRuntime, OnnxModel, probeOnnxRuntime } from '../../../src-main/classifier/onnx-runtime'
import { exportLayersModelToOnnx, ONNX_OPSET, readOnnxMetadata } from '../../../src-main/onnx/export-onnx'
import { DataType, decodeModel } from '../../../src-main/onnx/onnx-schema'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { buildSeedCnn } from '../../../src-main/training/models/cnn'
import { expectAppError } from '../../helpers/app-error'

// The file format: field numbers as onnx.proto has them (checked on the raw wire bytes, not only by
// our own decoder), the documented interface (input/output names, NHWC with a dynamic batch,
// opset, producer), metadata round trips, and the runtime wrapper's contract.

beforeAll(async () => {
  await activateBackend('wasm')
})

function smallCnn(): tfl.LayersModel {
  return buildSeedCnn({ height: 20, width: 22, channels: 1, classes: 2, batchNorm: true, seed: 1 })
}

/** Top-level protobuf fields of a message as [field number, wire type] pairs, by hand. */
function topLevelFields(bytes: Uint8Array): [number, number][] {
  const fields: [number, number][] = []
  let offset = 0
  const varint = () => {
    let value = 0
    let shift = 0
    for (;;) {
      const byte = bytes[offset++]!
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
      shift += 7
    }
  }
  while (offset < bytes.length) {
    const key = varint()
    const wireType = key & 7
    fields.push([Math.floor(key / 8), wireType])
    if (wireType === 0) varint()
    else if (wireType === 2) {
      const length = varint()
      offset += length
    }
    else throw new Error(`unexpected wire type ${wireType}`)
  }
  return fields
}

describe('ONNX file format', () => {
  it("writes ModelProto's fields with onnx.proto's numbers", () => {
    const model = smallCnn()
    try {
      const bytes = exportLayersModelToOnnx(model, { metadata: { a: '1' }, docString: 'doc' })
      // ir_version 1 (varint), producer_name 2, producer_version 3, doc_string 6, graph 7,
      // opset_import 8, metadata_props 14.
      expect(new Map(topLevelFields(bytes))).toEqual(
        new Map([
          [1, 0],
          [2, 2],
          [3, 2],
          [6, 2],
          [7, 2],
          [8, 2],
          [14, 2]
        ])
      )
      expect(Array.from(bytes.slice(0, 2))).toEqual([0x08, 8]) // ir_version = 8
    } finally {
      model.dispose()
    }
  })

  it('documents its interface: input NHWC with a dynamic batch, output, opset, producer, raw float initializers', () => {
    const model = smallCnn()
    try {
      const decoded = decodeModel(exportLayersModelToOnnx(model, { graphName: 'cnn_run_7' }))
      expect(decoded.producerName).toBe('pictor')
      // The default domain is the empty string, which protobuf may leave off the wire.
      expect(decoded.opsetImport.map(({ domain, version }) => [domain ?? '', version])).toEqual([['', ONNX_OPSET]])
      expect(decoded.graph.name).toBe('cnn_run_7')
      const [input] = decoded.graph.input
      const [output] = decoded.graph.output
      expect(input!.name).toBe('input')
      expect(input!.type.tensorType.elemType).toBe(DataType.FLOAT)
      expect(input!.type.tensorType.shape.dim).toEqual([{ dimParam: 'N' }, { dimValue: 20 }, { dimValue: 22 }, { dimValue: 1 }])
      expect(output!.name).toBe('output')
      expect(output!.type.tensorType.shape.dim).toEqual([{ dimParam: 'N' }, { dimValue: 2 }])
      // Every initializer a node reads, each with exactly its shape's worth of little-endian bytes.
      const read = new Set(decoded.graph.node.flatMap((node) => node.input))
      for (const tensor of decoded.graph.initializer) {
        expect(read.has(tensor.name)).toBe(true)
        const size = tensor.dims.reduce((product, side) => product * side, 1)
        expect(tensor.rawData.length).toBe(size * (tensor.dataType === DataType.INT64 ? 8 : 4))
      }
      // Unique node and value names.
      const names = decoded.graph.node.map((node) => node.name)
      expect(new Set(names).size).toBe(names.length)
      const outputs = decoded.graph.node.flatMap((node) => node.output)
      expect(new Set(outputs).size).toBe(outputs.length)
      // The conv kernels in ONNX's OIHW order: [filters, in channels, 3, 3].
      const firstConv = decoded.graph.node.find((node) => node.opType === 'Conv')!
      expect(decoded.graph.initializer.find((tensor) => tensor.name === firstConv.input[1])!.dims).toEqual([32, 1, 3, 3])
    } finally {
      model.dispose()
    }
  })

  it('round-trips metadata (unicode, empty values) and refuses bytes that are not a model', () => {
    const model = smallCnn()
    try {
      const metadata = { classes: JSON.stringify(['chat noir', 'Hund 🐕', '']), empty: '', preprocessing: 'x / 255' }
      expect(readOnnxMetadata(exportLayersModelToOnnx(model, { metadata }))).toEqual(metadata)
      expect(readOnnxMetadata(exportLayersModelToOnnx(model))).toEqual({})
      expectAppError(() => readOnnxMetadata(new TextEncoder().encode('this is not protobuf at all')), 'INVALID_REQUEST')
      expectAppError(() => readOnnxMetadata(new Uint8Array(0)), 'INVALID_REQUEST')
    } finally {
      model.dispose()
    }
  })
})

describe('OnnxModel', () => {
  it('reports ONNX Runtime, runs any batch size, checks its input and refuses to run once disposed', async () => {
    const runtime = await loadOnnxRuntime()
    expect(runtime.reason).toBeNull()
    expect(probeOnnxRuntime()).toEqual({ engine: 'onnxruntime', label: expect.stringMatching(/^ONNX Runtime 1\.\d+/) })
    const model = smallCnn()
    const tensorsBefore = tf.memory().numTensors
    const onnx = await OnnxModel.create(exportLayersModelToOnnx(model), { threads: 1 })
    try {
      for (const batch of [1, 4]) {
        const output = await onnx.runWithShape(new Float32Array(batch * 20 * 22).fill(0.5), [batch, 20, 22, 1])
        expect(output.shape).toEqual([batch, 2])
        expect(output.values[0]! + output.values[1]!).toBeCloseTo(1, 5)
      }
      await expect(onnx.run(new Float32Array(10), [1, 20, 22, 1])).rejects.toThrow(RangeError)
      // ONNX Runtime's tensors live outside tfjs: exporting and running allocated no tfjs tensor.
      expect(tf.memory().numTensors).toBe(tensorsBefore)
    } finally {
      await onnx.dispose()
      model.dispose()
    }
    await expect(onnx.run(new Float32Array(440), [1, 20, 22, 1])).rejects.toThrow(/disposed/)
    await onnx.dispose() // twice is harmless
    await expect(OnnxModel.create(new Uint8Array([1, 2, 3]))).rejects.toThrow()
  })
})
