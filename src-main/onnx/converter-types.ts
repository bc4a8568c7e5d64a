// What a per-layer converter sees and returns, plus the helpers every converter shares.
import type * as tfl from '@tensorflow/tfjs-layers'
import type { GraphBuilder } from './graph-builder'

/**
 * A tensor in the ONNX graph. `shape` is the Keras (channels-last) shape with null for unknown
 * sizes. The layout rule of the whole exporter: a rank-4 value is stored NCHW in the graph (one
 * Transpose after the input, one before a 4-D output or a Flatten), every other rank as Keras has it.
 */
export interface OnnxValue {
  name: string
  shape: (number | null)[]
}

export interface ConvertContext {
  graph: GraphBuilder
  layer: tfl.layers.Layer
  /** layer.getConfig(): camel-cased Keras options (kernelSize, strides, padding, activation, ...). */
  config: Record<string, unknown>
  inputs: OnnxValue[]
  /** Keras shapes of the layer's outputs at this call. */
  outputShapes: (number | null)[][]
}

export type LayerConverter = (context: ConvertContext) => string[]

/** Thrown by converters for a layer or option the exporter cannot express; the walker names the layer. */
export class UnsupportedLayerError extends Error {}

export function unsupported(reason: string): never {
  throw new UnsupportedLayerError(reason)
}

/** The one input of a single-input layer. */
export function soleInput(context: ConvertContext): OnnxValue {
  if (context.inputs.length !== 1) unsupported(`expected 1 input, got ${context.inputs.length}`)
  return context.inputs[0]!
}

export function requireRank(value: OnnxValue, rank: number, what: string): void {
  if (value.shape.length !== rank) unsupported(`${what} needs a rank-${rank} input, got shape [${value.shape.map(String)}]`)
}

export function requireChannelsLast(config: Record<string, unknown>): void {
  const format = config.dataFormat
  if (format !== undefined && format !== null && format !== 'channelsLast') unsupported(`data format ${String(format)} (only channelsLast)`)
}

/** Keras options that are a number or a tuple (kernelSize: 3 or [3, 3]) as a pair. */
export function pair(value: unknown, what: string): [number, number] {
  if (typeof value === 'number') return [value, value]
  if (Array.isArray(value) && value.length === 2 && value.every((side) => typeof side === 'number')) return [value[0] as number, value[1] as number]
  return unsupported(`${what} ${JSON.stringify(value)}`)
}

/**
 * A layer's weight by its Keras name (`kernel`, `bias`, `gamma`, `moving_mean`, ...), copied out of
 * the backend. Reading a variable's value creates no tensor, so export leaks nothing.
 */
export function weight(layer: tfl.layers.Layer, key: string): { shape: number[]; values: Float32Array } | null {
  const variable = layer.weights.find((candidate) => candidate.originalName.split('/').pop() === key)
  if (!variable) return null
  const tensor = variable.read()
  if (tensor.dtype !== 'float32') unsupported(`weight ${key} is ${tensor.dtype}, not float32`)
  // A copy: the converters reorder and the folding pass rewrites these arrays.
  return { shape: tensor.shape, values: (tensor.dataSync() as Float32Array).slice() }
}

export function requiredWeight(layer: tfl.layers.Layer, key: string): { shape: number[]; values: Float32Array } {
  return weight(layer, key) ?? unsupported(`it has no ${key} weight`)
}

/** Keras axis (negative counts from the end) → the axis in the stored (NCHW for rank 4) layout. */
export function storedAxis(axis: number, rank: number): number {
  const keras = axis < 0 ? axis + rank : axis
  if (keras < 0 || keras >= rank) unsupported(`axis ${axis} for a rank-${rank} tensor`)
  if (rank !== 4 || keras === 0) return keras
  return keras === 3 ? 1 : keras + 1
}
