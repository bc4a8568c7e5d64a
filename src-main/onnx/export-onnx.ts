// TF.js layers model → ONNX model bytes, and the metadata reader for `.onnx` files we wrote.
//
// The exported model's interface (what callers of the .onnx file can rely on):
// - one input named 'input': float32 [N, H, W, C] (channels last, N dynamic), exactly the tensor
//   tfjs' model.predict takes, so the same preprocessing feeds both engines;
// - one output named 'output': float32 with the Keras output shape and batch first (e.g. [N, classes]
//   probabilities, [N, 1280] features; a 4-D output is channels last, like the input);
// - ModelProto.metadata_props: the caller's metadata (class names, preprocessing, ...);
//   producer_name 'pictor'; opset 17 of the default domain.
// Inside, images travel NCHW (what ONNX Conv/Pool take): one Transpose after the input, one before a
// 4-D output or a Flatten (which must see Keras' H, W, C order).
import type * as tfl from '@tensorflow/tfjs-layers'
import { AppError } from '../core/errors'
import { convertModel } from './convert-model'
import { foldBatchNorms } from './fold-batch-norm'
import { floatValueInfo, GraphBuilder } from './graph-builder'
import { decodeModelMetadata, encodeModel, type ModelMessage } from './onnx-schema'

export const ONNX_INPUT_NAME = 'input'
export const ONNX_OUTPUT_NAME = 'output'
export const ONNX_PRODUCER = 'pictor'
/** Opset 17 (ONNX 1.12): every op we emit in its current form; onnxruntime ≥ 1.12 runs it. */
export const ONNX_OPSET = 17
/** IR version 8 goes with opset 17. */
const IR_VERSION = 8
/** Bumped when the exporter's output changes in a way a reader could care about. */
export const EXPORTER_VERSION = '1'

export interface OnnxExportOptions {
  /** Stored in ModelProto.metadata_props, read back by readOnnxMetadata. */
  metadata?: Record<string, string>
  /** The graph's name; the model's name by default. */
  graphName?: string
  docString?: string
  /**
   * More graph outputs after 'output', each a tensor inside the model's graph (e.g. a CNN's
   * penultimate layer, for a server's drift features), channels last like 'output'. None by
   * default: the exported file's interface above stays one input, one output.
   */
  extraOutputs?: readonly { name: string; tensor: tfl.SymbolicTensor }[]
}

/**
 * Converts a TF.js layers model (inference mode: batch norm on moving statistics, dropout off) to
 * ONNX. Throws AppError('UNSUPPORTED') naming the layer and its class for anything it cannot
 * express faithfully. Creates no tensors (weights are read, not computed), so it leaks none.
 */
export function exportLayersModelToOnnx(model: tfl.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new AppError('UNSUPPORTED', `cannot export model "${model.name}" to ONNX: it has ${model.inputs.length} inputs and ${model.outputs.length} outputs (only 1 and 1)`)
  }
  const kerasInput = model.inputs[0]!
  const kerasOutput = model.outputs[0]!
  if (kerasInput.dtype !== 'float32') throw new AppError('UNSUPPORTED', `cannot export model "${model.name}" to ONNX: its input is ${kerasInput.dtype}, not float32`)
  const inputShape = [null, ...kerasInput.shape.slice(1)]
  const graph = new GraphBuilder()
  graph.reserve(ONNX_INPUT_NAME)
  graph.reserve(ONNX_OUTPUT_NAME)

  const first =
    inputShape.length === 4
      ? graph.op('Transpose', [ONNX_INPUT_NAME], 'input_to_nchw', { perm: [0, 3, 1, 2] })
      : ONNX_INPUT_NAME
  const extras = options.extraOutputs ?? []
  for (const { name } of extras) {
    if (name === ONNX_INPUT_NAME || name === ONNX_OUTPUT_NAME || extras.filter((extra) => extra.name === name).length > 1) {
      throw new Error(`extra ONNX output name "${name}" is taken`)
    }
    graph.reserve(name)
  }
  const results = convertModel(graph, model, [{ name: first, shape: inputShape }], extras.map((extra) => extra.tensor))
  const outputs = [
    { name: ONNX_OUTPUT_NAME, shape: [null, ...kerasOutput.shape.slice(1)] },
    ...extras.map((extra) => ({ name: extra.name, shape: [null, ...extra.tensor.shape.slice(1)] }))
  ]
  outputs.forEach((output, index) => {
    const result = results[index]!
    if (result.shape.length === 4) graph.node('Transpose', [result.name], `${output.name}_to_nhwc`, { perm: [0, 2, 3, 1] }, 1, [output.name])
    else graph.node('Identity', [result.name], `${output.name}_identity`, {}, 1, [output.name])
  })
  foldBatchNorms(graph, outputs.map((output) => output.name))

  const message: ModelMessage = {
    irVersion: IR_VERSION,
    producerName: ONNX_PRODUCER,
    producerVersion: EXPORTER_VERSION,
    ...(options.docString ? { docString: options.docString } : {}),
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value: String(value) })),
    graph: graph.build(
      options.graphName ?? model.name,
      [floatValueInfo(ONNX_INPUT_NAME, inputShape, 'float32, channels last (NHWC), batch first')],
      outputs.map((output) => floatValueInfo(output.name, output.shape))
    )
  }
  return encodeModel(message)
}

/** metadata_props of an .onnx file as a plain object (empty when it has none). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  try {
    return Object.fromEntries(decodeModelMetadata(bytes).map(({ key, value }) => [key, value]))
  } catch (error) {
    throw new AppError('INVALID_REQUEST', `not an ONNX model: ${(error as Error).message}`, { cause: error })
  }
}
