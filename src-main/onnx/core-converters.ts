// Converters for the layers that are not image-specific: Dense, BatchNormalization, activations,
// merges, Flatten, and the inference no-ops (Dropout and friends).
import { applyActivation, clip } from './activations'
import { requiredWeight, soleInput, storedAxis, unsupported, weight, type LayerConverter } from './converter-types'

const dense: LayerConverter = (context) => {
  const { graph, layer, config } = context
  const input = soleInput(context)
  if (input.shape.length !== 2) unsupported(`Dense on a rank-${input.shape.length} input (only [batch, features])`)
  const kernel = requiredWeight(layer, 'kernel')
  // Keras' kernel is [in, out]: exactly Gemm's B without transposition.
  const inputs = [input.name, graph.floatInitializer(`${layer.name}_W`, kernel.shape, kernel.values)]
  const bias = config.useBias === false ? null : weight(layer, 'bias')
  if (bias) inputs.push(graph.floatInitializer(`${layer.name}_B`, bias.shape, bias.values))
  const gemm = graph.op('Gemm', inputs, layer.name)
  return [applyActivation(graph, { name: gemm, shape: context.outputShapes[0]! }, config.activation, layer.name)]
}

/**
 * Inference-mode batch norm on its moving statistics. Left as an ONNX BatchNormalization here;
 * foldBatchNorms later merges it into the convolution before it where that is exact.
 */
const batchNormalization: LayerConverter = (context) => {
  const { graph, layer, config } = context
  const input = soleInput(context)
  const rank = input.shape.length
  const axes = Array.isArray(config.axis) ? config.axis : [config.axis ?? -1]
  if (axes.length !== 1 || typeof axes[0] !== 'number') unsupported(`axis ${JSON.stringify(config.axis)}`)
  const keras = axes[0] < 0 ? axes[0] + rank : axes[0]
  if (keras !== rank - 1 || (rank !== 2 && rank !== 4)) unsupported(`normalizing axis ${axes[0]} of a rank-${rank} input (only the last axis of rank 2 or 4)`)
  const mean = requiredWeight(layer, 'moving_mean')
  const variance = requiredWeight(layer, 'moving_variance')
  const channels = mean.values.length
  const gamma = config.scale === false ? null : weight(layer, 'gamma')
  const beta = config.center === false ? null : weight(layer, 'beta')
  const epsilon = typeof config.epsilon === 'number' ? config.epsilon : 1e-3
  return [
    graph.op(
      'BatchNormalization',
      [
        input.name,
        graph.floatInitializer(`${layer.name}_scale`, [channels], gamma?.values ?? new Float32Array(channels).fill(1)),
        graph.floatInitializer(`${layer.name}_bias`, [channels], beta?.values ?? new Float32Array(channels)),
        graph.floatInitializer(`${layer.name}_mean`, [channels], mean.values),
        graph.floatInitializer(`${layer.name}_var`, [channels], variance.values)
      ],
      layer.name,
      { epsilon: { float: epsilon } }
    )
  ]
}

const reLU: LayerConverter = (context) => {
  const { graph, layer, config } = context
  const input = soleInput(context)
  for (const option of ['threshold', 'negativeSlope']) {
    if (typeof config[option] === 'number' && config[option] !== 0) unsupported(`${option} ${config[option]}`)
  }
  const maxValue = config.maxValue
  if (maxValue === null || maxValue === undefined) return [graph.op('Relu', [input.name], layer.name)]
  if (typeof maxValue !== 'number') return unsupported(`maxValue ${JSON.stringify(maxValue)}`)
  return [clip(graph, input.name, 0, maxValue, layer.name)]
}

const leakyReLU: LayerConverter = (context) => {
  const alpha = typeof context.config.alpha === 'number' ? context.config.alpha : 0.3
  return [context.graph.op('LeakyRelu', [soleInput(context).name], context.layer.name, { alpha: { float: alpha } })]
}

const activation: LayerConverter = (context) => [applyActivation(context.graph, soleInput(context), context.config.activation, context.layer.name)]

const softmax: LayerConverter = (context) => {
  const input = soleInput(context)
  const axis = Array.isArray(context.config.axis) ? context.config.axis : [context.config.axis ?? -1]
  if (axis.length !== 1 || typeof axis[0] !== 'number') unsupported(`softmax over axes ${JSON.stringify(context.config.axis)}`)
  return [context.graph.op('Softmax', [input.name], context.layer.name, { axis: storedAxis(axis[0], input.shape.length) })]
}

function elementwise(opType: 'Add' | 'Mul' | 'Max' | 'Min'): LayerConverter {
  return (context) => {
    const { graph, layer, inputs } = context
    if (inputs.length < 2) unsupported(`expected at least 2 inputs, got ${inputs.length}`)
    const rank = inputs[0]!.shape.length
    // Broadcasting between ranks would need the layouts matched up; our models never do it.
    if (inputs.some((input) => input.shape.length !== rank)) unsupported('inputs of different ranks')
    if (opType === 'Max' || opType === 'Min') return [graph.op(opType, inputs.map((input) => input.name), layer.name)]
    let result = inputs[0]!.name
    for (let i = 1; i < inputs.length; i++) result = graph.op(opType, [result, inputs[i]!.name], inputs.length > 2 ? `${layer.name}_${i}` : layer.name)
    return [result]
  }
}

const concatenate: LayerConverter = (context) => {
  const { graph, layer, inputs, config } = context
  const rank = inputs[0]?.shape.length ?? 0
  if (inputs.some((input) => input.shape.length !== rank)) unsupported('inputs of different ranks')
  const axis = typeof config.axis === 'number' ? config.axis : -1
  return [graph.op('Concat', inputs.map((input) => input.name), layer.name, { axis: storedAxis(axis, rank) })]
}

/** Flatten in Keras (channels-last) order: an NCHW value goes back to NHWC first. */
const flatten: LayerConverter = (context) => {
  const { graph, layer, config } = context
  const input = soleInput(context)
  if (config.dataFormat === 'channelsFirst') unsupported('data format channelsFirst')
  if (input.shape.length === 2) return [input.name]
  const source = input.shape.length === 4 ? graph.op('Transpose', [input.name], `${layer.name}_to_nhwc`, { perm: [0, 2, 3, 1] }) : input.name
  return [graph.op('Flatten', [source], layer.name, { axis: 1 })]
}

/** Identity at inference time: the value passes through with no node at all. */
const passThrough: LayerConverter = (context) => [soleInput(context).name]

export const coreConverters: Record<string, LayerConverter> = {
  Dense: dense,
  BatchNormalization: batchNormalization,
  ReLU: reLU,
  LeakyReLU: leakyReLU,
  Activation: activation,
  Softmax: softmax,
  Add: elementwise('Add'),
  Multiply: elementwise('Mul'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  Concatenate: concatenate,
  Flatten: flatten,
  Dropout: passThrough,
  SpatialDropout1D: passThrough,
  GaussianNoise: passThrough,
  GaussianDropout: passThrough,
  AlphaDropout: passThrough
}
