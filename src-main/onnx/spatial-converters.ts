// Converters for the layers that work on images (rank-4 values, stored NCHW in the graph):
// convolutions, pooling and zero padding. Weights are reordered from TF's HWIO to ONNX's OIHW here.
import { applyActivation } from './activations'
import {
  pair,
  requireChannelsLast,
  requiredWeight,
  requireRank,
  soleInput,
  unsupported,
  weight,
  type ConvertContext,
  type LayerConverter
} from './converter-types'

type Padding = { pads: number[] } | { autoPad: 'SAME_UPPER' }

/**
 * TF's padding as explicit ONNX pads [top, left, bottom, right]. 'same' makes the output
 * ceil(size / stride) and, when the total padding is odd, puts the extra row/column at the end
 * (bottom/right): with stride 2 on an even size that is 0 before and 1 after, which symmetric
 * padding would get wrong. Unknown sizes fall back to SAME_UPPER, the same rule computed by ONNX.
 */
export function tfPadding(padding: unknown, size: (number | null)[], kernel: [number, number], strides: [number, number], dilations: [number, number]): Padding {
  if (padding === 'valid') return { pads: [0, 0, 0, 0] }
  if (padding !== 'same') return unsupported(`padding ${JSON.stringify(padding)} (only valid and same)`)
  if (size[0] === null || size[1] === null || size[0] === undefined || size[1] === undefined) return { autoPad: 'SAME_UPPER' }
  const before: number[] = []
  const after: number[] = []
  for (let axis = 0; axis < 2; axis++) {
    const input = size[axis] as number
    const effective = (kernel[axis]! - 1) * dilations[axis]! + 1
    const output = Math.ceil(input / strides[axis]!)
    const total = Math.max((output - 1) * strides[axis]! + effective - input, 0)
    before.push(Math.floor(total / 2))
    after.push(total - Math.floor(total / 2))
  }
  return { pads: [...before, ...after] }
}

function paddingAttributes(padding: Padding): Record<string, number[] | string> {
  return 'pads' in padding ? { pads: padding.pads } : { auto_pad: padding.autoPad }
}

/** TF kernel [kh, kw, in, out] → ONNX weight [out, in, kh, kw]. */
function hwioToOihw(values: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(values.length)
  for (let h = 0; h < kh!; h++)
    for (let w = 0; w < kw!; w++)
      for (let i = 0; i < cin!; i++)
        for (let o = 0; o < cout!; o++) out[((o * cin! + i) * kh! + h) * kw! + w] = values[((h * kw! + w) * cin! + i) * cout! + o]!
  return out
}

/**
 * TF depthwise kernel [kh, kw, channels, multiplier] → ONNX grouped-conv weight
 * [channels·multiplier, 1, kh, kw]; TF's output channel c·multiplier + m is group c's m-th output.
 */
function depthwiseToOihw(values: Float32Array, [kh, kw, channels, multiplier]: number[]): Float32Array {
  const out = new Float32Array(values.length)
  for (let h = 0; h < kh!; h++)
    for (let w = 0; w < kw!; w++)
      for (let c = 0; c < channels!; c++)
        for (let m = 0; m < multiplier!; m++) out[((c * multiplier! + m) * kh! + h) * kw! + w] = values[((h * kw! + w) * channels! + c) * multiplier! + m]!
  return out
}

function convolution(context: ConvertContext, depthwise: boolean): string[] {
  const { graph, layer, config } = context
  const input = soleInput(context)
  requireRank(input, 4, layer.getClassName())
  requireChannelsLast(config)
  const kernelSize = pair(config.kernelSize, 'kernel size')
  const strides = pair(config.strides ?? 1, 'strides')
  const dilations = pair(config.dilationRate ?? 1, 'dilation rate')
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) unsupported('strides and dilation both above 1')
  const kernel = requiredWeight(layer, depthwise ? 'depthwise_kernel' : 'kernel')
  if (kernel.shape.length !== 4 || kernel.shape[0] !== kernelSize[0] || kernel.shape[1] !== kernelSize[1]) unsupported(`kernel of shape [${kernel.shape}]`)
  const [, , inChannels, last] = kernel.shape as [number, number, number, number]
  const outChannels = depthwise ? inChannels * last : last
  const weights = depthwise ? depthwiseToOihw(kernel.values, kernel.shape) : hwioToOihw(kernel.values, kernel.shape)
  const inputs = [input.name, graph.floatInitializer(`${layer.name}_W`, [outChannels, depthwise ? 1 : inChannels, ...kernelSize], weights)]
  const bias = config.useBias === false ? null : weight(layer, 'bias')
  if (bias) inputs.push(graph.floatInitializer(`${layer.name}_B`, [outChannels], bias.values))
  const conv = graph.op('Conv', inputs, layer.name, {
    kernel_shape: kernelSize,
    strides,
    dilations,
    group: depthwise ? inChannels : 1,
    ...paddingAttributes(tfPadding(config.padding, input.shape.slice(1, 3), kernelSize, strides, dilations))
  })
  return [applyActivation(graph, { name: conv, shape: context.outputShapes[0]! }, config.activation, layer.name)]
}

function pooling(opType: 'MaxPool' | 'AveragePool'): LayerConverter {
  return (context) => {
    const { graph, layer, config } = context
    const input = soleInput(context)
    requireRank(input, 4, layer.getClassName())
    requireChannelsLast(config)
    const poolSize = pair(config.poolSize ?? 2, 'pool size')
    const strides = pair(config.strides ?? poolSize, 'strides')
    // TF's 'same' pooling is ONNX's SAME_UPPER (extra padding at the end; AveragePool leaves it out
    // of the count by default, as TF does; MaxPool never picks it). Pools always say auto_pad and
    // never carry explicit pads: onnxruntime's PadFusion (1.30) merges a preceding zero Pad (our
    // ZeroPadding2D) into a pool whose auto_pad is NOTSET, which is wrong for MaxPool (the zeros
    // become −∞ padding) and can fail the session ("Pad should be smaller than kernel").
    const padding = tfPadding(config.padding ?? 'valid', input.shape.slice(1, 3), poolSize, strides, [1, 1])
    const padded = 'autoPad' in padding || padding.pads.some((side) => side > 0)
    return [graph.op(opType, [input.name], layer.name, { kernel_shape: poolSize, strides, auto_pad: padded ? 'SAME_UPPER' : 'VALID' })]
  }
}

function globalPooling(opType: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter {
  return (context) => {
    const { graph, layer, config } = context
    const input = soleInput(context)
    requireRank(input, 4, layer.getClassName())
    requireChannelsLast(config)
    if (config.keepDims === true) return [graph.op(opType, [input.name], layer.name)]
    // ONNX keeps [N, C, 1, 1]; Keras drops the spatial axes.
    return [graph.op('Flatten', [graph.op(opType, [input.name], layer.name)], `${layer.name}_flatten`, { axis: 1 })]
  }
}

const zeroPadding2d: LayerConverter = (context) => {
  const { graph, layer, config } = context
  const input = soleInput(context)
  requireRank(input, 4, 'ZeroPadding2D')
  requireChannelsLast(config)
  const raw = config.padding
  let top: number, bottom: number, left: number, right: number
  if (typeof raw === 'number') [top, bottom, left, right] = [raw, raw, raw, raw]
  else if (Array.isArray(raw) && raw.length === 2 && raw.every((side) => typeof side === 'number')) [top, bottom, left, right] = [raw[0], raw[0], raw[1], raw[1]] as number[] as [number, number, number, number]
  else if (Array.isArray(raw) && raw.every((side) => Array.isArray(side))) [[top, bottom], [left, right]] = raw as [[number, number], [number, number]]
  else return unsupported(`padding ${JSON.stringify(raw)}`)
  // NCHW pads: begins for N, C, H, W, then ends.
  const pads = graph.int64Initializer(`${layer.name}_pads`, [0, 0, top, left, 0, 0, bottom, right])
  return [graph.op('Pad', [input.name, pads], layer.name, { mode: 'constant' })]
}

export const spatialConverters: Record<string, LayerConverter> = {
  Conv2D: (context) => convolution(context, false),
  DepthwiseConv2D: (context) => convolution(context, true),
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  ZeroPadding2D: zeroPadding2d
}
