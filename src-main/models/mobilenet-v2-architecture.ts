// MobileNetV2 (alpha 1.0, include_top false) as Keras builds it, written down as a plain layer plan.
// This is architecture, not weights: no third-party numbers live here. The plan gives the exact Keras
// layer names (`Conv1`, `bn_Conv1`, `block_1_expand`, ..., `Conv_1_bn`, `out_relu`), so weights from a
// Keras `.h5` or a TF.js layers folder map onto it by name. It stays free of TensorFlow.js imports so
// the registry and the `.h5` reader can use it without loading tfjs; mobilenet-v2-model.ts builds it.

export interface WeightSpec {
  /** `<layer>/<weight>` as TF.js layers names it in a weightsManifest, e.g. `bn_Conv1/moving_mean`. */
  name: string
  shape: number[]
  dtype: 'float32'
  trainable: boolean
}

export type LayerPlan =
  | { kind: 'conv'; name: string; input: string; filters: number; kernel: number; strides: number; padding: 'same' | 'valid'; inChannels: number }
  | { kind: 'depthwise'; name: string; input: string; strides: number; padding: 'same' | 'valid'; channels: number }
  | { kind: 'bn'; name: string; input: string; channels: number }
  | { kind: 'relu6'; name: string; input: string }
  | { kind: 'pad'; name: string; input: string }
  | { kind: 'add'; name: string; inputs: [string, string] }

/** Inverted residual blocks: expansion t, output channels c, stride s (Keras `_inverted_res_block`). */
const BLOCKS: { expansion: number; filters: number; stride: number }[] = [
  { expansion: 1, filters: 16, stride: 1 },
  { expansion: 6, filters: 24, stride: 2 },
  { expansion: 6, filters: 24, stride: 1 },
  { expansion: 6, filters: 32, stride: 2 },
  { expansion: 6, filters: 32, stride: 1 },
  { expansion: 6, filters: 32, stride: 1 },
  { expansion: 6, filters: 64, stride: 2 },
  { expansion: 6, filters: 64, stride: 1 },
  { expansion: 6, filters: 64, stride: 1 },
  { expansion: 6, filters: 64, stride: 1 },
  { expansion: 6, filters: 96, stride: 1 },
  { expansion: 6, filters: 96, stride: 1 },
  { expansion: 6, filters: 96, stride: 1 },
  { expansion: 6, filters: 160, stride: 2 },
  { expansion: 6, filters: 160, stride: 1 },
  { expansion: 6, filters: 160, stride: 1 },
  { expansion: 6, filters: 320, stride: 1 }
]

export const MOBILENET_V2_INPUT_NAME = 'input_1'
export const MOBILENET_V2_OUTPUT_NAME = 'out_relu'
export const MOBILENET_V2_FEATURES = 1280

/** Every layer after the input, in Keras order. */
export function mobileNetV2Plan(): LayerPlan[] {
  const plan: LayerPlan[] = []
  let last = MOBILENET_V2_INPUT_NAME
  const push = (layer: LayerPlan) => {
    plan.push(layer)
    last = layer.name
  }
  const conv = (name: string, filters: number, inChannels: number, kernel = 1, strides = 1, padding: 'same' | 'valid' = 'same') =>
    push({ kind: 'conv', name, input: last, filters, kernel, strides, padding, inChannels })
  const bn = (name: string, channels: number) => push({ kind: 'bn', name, input: last, channels })
  const relu = (name: string) => push({ kind: 'relu6', name, input: last })

  conv('Conv1', 32, 3, 3, 2, 'same')
  bn('bn_Conv1', 32)
  relu('Conv1_relu')
  let channels = 32
  BLOCKS.forEach(({ expansion, filters, stride }, id) => {
    const blockInput = last
    const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`
    const expanded = channels * expansion
    if (id > 0) {
      conv(`${prefix}expand`, expanded, channels)
      bn(`${prefix}expand_BN`, expanded)
      relu(`${prefix}expand_relu`)
    }
    if (stride === 2) push({ kind: 'pad', name: `${prefix}pad`, input: last })
    push({ kind: 'depthwise', name: `${prefix}depthwise`, input: last, strides: stride, padding: stride === 1 ? 'same' : 'valid', channels: expanded })
    bn(`${prefix}depthwise_BN`, expanded)
    relu(`${prefix}depthwise_relu`)
    conv(`${prefix}project`, filters, expanded)
    bn(`${prefix}project_BN`, filters)
    if (channels === filters && stride === 1) push({ kind: 'add', name: `${prefix}add`, inputs: [blockInput, last] })
    channels = filters
  })
  conv('Conv_1', MOBILENET_V2_FEATURES, channels, 1, 1, 'valid')
  bn('Conv_1_bn', MOBILENET_V2_FEATURES)
  relu(MOBILENET_V2_OUTPUT_NAME)
  return plan
}

/**
 * The weights in the order TF.js layers saves them (`model.weights`: all trainable ones layer by
 * layer, then the non-trainable batch-norm statistics layer by layer).
 */
export function mobileNetV2WeightSpecs(): WeightSpec[] {
  const trainable: WeightSpec[] = []
  const frozen: WeightSpec[] = []
  const spec = (name: string, shape: number[], isTrainable = true): WeightSpec => ({ name, shape, dtype: 'float32', trainable: isTrainable })
  for (const layer of mobileNetV2Plan()) {
    if (layer.kind === 'conv') trainable.push(spec(`${layer.name}/kernel`, [layer.kernel, layer.kernel, layer.inChannels, layer.filters]))
    if (layer.kind === 'depthwise') trainable.push(spec(`${layer.name}/depthwise_kernel`, [3, 3, layer.channels, 1]))
    if (layer.kind === 'bn') {
      trainable.push(spec(`${layer.name}/gamma`, [layer.channels]), spec(`${layer.name}/beta`, [layer.channels]))
      frozen.push(spec(`${layer.name}/moving_mean`, [layer.channels], false), spec(`${layer.name}/moving_variance`, [layer.channels], false))
    }
  }
  return [...trainable, ...frozen]
}

/** Keras `correct_pad` for a 3×3 stride-2 convolution on a square feature map of this size. */
export function correctPad(size: number | null): [[number, number], [number, number]] {
  const adjust = size === null ? 1 : 1 - (size % 2)
  return [
    [1 - adjust, 1],
    [1 - adjust, 1]
  ]
}
