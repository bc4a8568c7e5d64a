// Rewrites a float graph into its QDQ form from a plan and calibrated ranges: each planned
// activation gets QuantizeLinear → DequantizeLinear right after it is computed (its readers take
// the dequantized copy), each planned Conv reads DequantizeLinear(int8 weights, per-channel scales,
// axis 0) and, when it has one, DequantizeLinear(int32 bias). The graph still computes in float as
// written; ONNX Runtime's QDQ fusion turns each DQ → Conv → Q into QLinearConv on 8-bit data.
import type { ModelMessage, NodeMessage, TensorMessage } from '../onnx-schema'
import { activationParams, quantizeBias, representable, quantizeWeightsPerChannel, type ActivationType, type QuantParams } from './qdq-params'
import type { TensorRange } from './calibrate'
import type { QdqPlan } from './qdq-plan'
import { byteTensor, floatTensor, int32Tensor, readFloats, type StoredTensor } from './tensors'

export interface QdqOptions {
  activationType: ActivationType
  /** Largest weight magnitude: 127 (full int8) or 63 (7 bits, ONNX Runtime's reduce_range). */
  weightMax: number
  /** Shift each conv's bias by the mean change its rounded weights make on the calibration data (Nagel et al. 2019). */
  biasCorrection: boolean
}

export function insertQdq(model: ModelMessage, plan: QdqPlan, ranges: ReadonlyMap<string, TensorRange>, options: QdqOptions): ModelMessage {
  const graph = model.graph
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor as StoredTensor]))
  const added: TensorMessage[] = []
  const params = new Map<string, QuantParams>()
  const dequantized = new Map<string, string>()
  const pairs = new Map<string, NodeMessage[]>()
  const producers = new Map(graph.node.map((node) => [node.output[0]!, node]))
  const dropped = new Set<NodeMessage>()
  for (const name of plan.activations) {
    const range = ranges.get(name)
    if (!range) throw new Error(`no calibrated range for ${name}`)
    const qp = activationParams(range.min, range.max, options.activationType)
    params.set(name, qp)
    added.push(floatTensor(`${name}_scale`, [], Float32Array.of(qp.scale)))
    const zeroPoint = options.activationType === 'uint8' ? Uint8Array.of(qp.zeroPoint) : Int8Array.of(qp.zeroPoint)
    added.push(byteTensor(`${name}_zero_point`, [], zeroPoint, options.activationType))
    const quantizeInputs = [`${name}_scale`, `${name}_zero_point`]
    // A ReLU/ReLU6 whose output is quantized into a range inside its own does nothing QuantizeLinear's
    // saturation does not: dropped, so the conv before it fuses with the QuantizeLinear.
    const activation = producers.get(name)
    const redundant = activation && clipBounds(activation, initializers)
    const [low, high] = representable(qp)
    const source = redundant && low >= redundant[0] && high <= redundant[1] ? activation.input[0]! : name
    if (source !== name) dropped.add(activation!)
    pairs.set(name, [
      { name: `${name}_QuantizeLinear`, opType: 'QuantizeLinear', input: [source, ...quantizeInputs], output: [`${name}_quantized`], attribute: [] },
      { name: `${name}_DequantizeLinear`, opType: 'DequantizeLinear', input: [`${name}_quantized`, ...quantizeInputs], output: [`${name}_dequantized`], attribute: [] }
    ])
    dequantized.set(name, `${name}_dequantized`)
  }

  const convs = new Set(plan.convs)
  const weightNodes = new Map<NodeMessage, NodeMessage[]>()
  for (const conv of plan.convs) {
    const inputParams = params.get(conv.input[0]!)
    if (!inputParams) throw new Error(`conv ${conv.name}'s input is not quantized`)
    const weight = initializers.get(conv.input[1]!)!
    const { values, scales } = quantizeWeightsPerChannel(readFloats(weight), weight.dims.map(Number), 0, options.weightMax)
    const channels = scales.length
    const w = `${conv.name}_W`
    added.push(byteTensor(`${w}_quantized`, weight.dims.map(Number), values, 'int8'))
    added.push(floatTensor(`${w}_scale`, [channels], scales))
    added.push(byteTensor(`${w}_zero_point`, [channels], new Int8Array(channels), 'int8'))
    const nodes: NodeMessage[] = [dequantizeNode(w)]
    const inputs = [dequantized.get(conv.input[0]!)!, `${w}_dequantized`]
    const floatBias = conv.input[2] ? readFloats(initializers.get(conv.input[2])!) : new Float32Array(channels)
    if (options.biasCorrection) correctBias(floatBias, readFloats(weight), values, scales, weight.dims.map(Number), ranges.get(conv.input[0]!)!.channelMeans)
    if (floatBias.length > 0) {
      const bias = quantizeBias(floatBias, inputParams.scale, scales)
      const b = `${conv.name}_B`
      added.push(int32Tensor(`${b}_quantized`, [channels], bias.values))
      added.push(floatTensor(`${b}_scale`, [channels], bias.scales))
      added.push(int32Tensor(`${b}_zero_point`, [channels], new Int32Array(channels)))
      nodes.push(dequantizeNode(b))
      inputs.push(`${b}_dequantized`)
    }
    weightNodes.set(conv, nodes)
    conv.input = inputs
  }

  const nodes: NodeMessage[] = []
  for (const input of graph.input) nodes.push(...(pairs.get(input.name) ?? []))
  for (const node of graph.node) {
    if (dropped.has(node)) {
      nodes.push(...(pairs.get(node.output[0]!) ?? []))
      continue
    }
    if (!convs.has(node)) node.input = node.input.map((name) => dequantized.get(name) ?? name)
    nodes.push(...(weightNodes.get(node) ?? []), node)
    for (const output of node.output) nodes.push(...(pairs.get(output) ?? []))
  }
  const read = new Set(nodes.flatMap((node) => node.input))
  const kept = graph.initializer.filter((tensor) => read.has(tensor.name))
  return { ...model, graph: { ...graph, node: nodes, initializer: [...kept, ...added] } }
}

/**
 * bias[m] −= Σ (w_q − w)[m, c, k] · E[x_c]: the expected output error of the rounded weights, taken
 * from the calibrated per-channel means of the conv's input (padding's zeros ignored).
 */
function correctBias(bias: Float32Array, weights: Float32Array, quantized: Int8Array, scales: Float32Array, dims: number[], means: Float64Array): void {
  const [outChannels, perGroup, kh, kw] = dims as [number, number, number, number]
  const groups = means.length / perGroup
  const kernel = kh * kw
  for (let m = 0; m < outChannels; m++) {
    const firstInput = Math.floor(m / (outChannels / groups)) * perGroup
    let shift = 0
    for (let c = 0; c < perGroup; c++) {
      const mean = means[firstInput + c]!
      for (let k = 0; k < kernel; k++) {
        const index = (m * perGroup + c) * kernel + k
        shift += (quantized[index]! * scales[m]! - weights[index]!) * mean
      }
    }
    bias[m] = bias[m]! - shift
  }
}

/** [min, max] of a Relu or of a Clip with constant bounds; null for any other node. */
function clipBounds(node: NodeMessage, initializers: ReadonlyMap<string, StoredTensor>): [number, number] | null {
  if (node.opType === 'Relu') return [0, Infinity]
  if (node.opType !== 'Clip') return null
  const bound = (index: number, absent: number) => {
    const name = node.input[index]
    if (!name) return absent
    const tensor = initializers.get(name)
    return tensor ? readFloats(tensor)[0]! : null
  }
  const low = bound(1, -Infinity)
  const high = bound(2, Infinity)
  return low === null || high === null ? null : [low, high]
}

function dequantizeNode(base: string): NodeMessage {
  return {
    name: `${base}_DequantizeLinear`,
    opType: 'DequantizeLinear',
    input: [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`],
    output: [`${base}_dequantized`],
    attribute: [{ name: 'axis', type: 2, i: 0 }]
  }
}
