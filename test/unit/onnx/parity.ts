// Shared steps of the ONNX parity tests: export a layers model (checking it creates no tensors),
// run the same batch through tfjs and ONNX Runtime, and measure how far apart the answers are.
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { expect } from 'vitest'
import { OnnxModel } from '../../../src-main/classifier/onnx-runtime'
import { exportLayersModelToOnnx, type OnnxExportOptions } from '../../../src-main/onnx/export-onnx'
import { decodeModel, type NodeMessage } from '../../../src-main/onnx/onnx-schema'

/** The brief's bar: ONNX Runtime and tfjs agree to this max absolute difference. */
export const PARITY_TOLERANCE = 1e-4

export interface ParityResult {
  bytes: Uint8Array
  exportMs: number
  tfjs: Float32Array
  onnx: Float32Array
  onnxShape: number[]
  maxAbsDiff: number
  tfjsMs: number
  onnxMs: number
  nodes: NodeMessage[]
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

/** Concatenates equally sized images into one NHWC batch. */
export function batchOf(images: readonly Float32Array[]): Float32Array {
  const batch = new Float32Array(images.reduce((total, image) => total + image.length, 0))
  let offset = 0
  for (const image of images) {
    batch.set(image, offset)
    offset += image.length
  }
  return batch
}

/**
 * Exports `model`, runs `input` ([batch, ...inputShape]) through both engines and returns both
 * answers. Asserts the export left the tensor count unchanged and the output shapes agree.
 */
export async function compareEngines(model: tfl.LayersModel, input: Float32Array, shape: number[], options: OnnxExportOptions = {}): Promise<ParityResult> {
  const tensorsBefore = tf.memory().numTensors
  let start = performance.now()
  const bytes = exportLayersModelToOnnx(model, options)
  const exportMs = performance.now() - start
  expect(tf.memory().numTensors).toBe(tensorsBefore)

  start = performance.now()
  const prediction = tf.tidy(() => model.predict(tf.tensor(input, shape)) as tf.Tensor)
  const tfjsShape = prediction.shape
  const tfjs = (await prediction.data()) as Float32Array
  prediction.dispose()
  const tfjsMs = performance.now() - start
  expect(tf.memory().numTensors).toBe(tensorsBefore)

  const onnxModel = await OnnxModel.create(bytes)
  try {
    start = performance.now()
    const { values: onnx, shape: onnxShape } = await onnxModel.runWithShape(input, shape)
    const onnxMs = performance.now() - start
    expect(onnxShape).toEqual(tfjsShape)
    return { bytes, exportMs, tfjs, onnx, onnxShape, maxAbsDiff: maxAbsDiff(tfjs, onnx), tfjsMs, onnxMs, nodes: decodeModel(bytes).graph.node }
  } finally {
    await onnxModel.dispose()
  }
}

/** How many nodes of each op type the exported graph has. */
export function opCounts(nodes: readonly NodeMessage[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const node of nodes) counts[node.opType] = (counts[node.opType] ?? 0) + 1
  return counts
}
