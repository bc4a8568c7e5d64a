// Folds inference-mode batch norms into the convolution that feeds them, the classic exporter
// optimisation: BN(conv(x)) = conv'(x) with each output channel's weights scaled by
// γ/√(σ²+ε) and bias (b − μ)·γ/√(σ²+ε) + β. MobileNetV2 has a BN after each of its 52 convolutions,
// so this halves its node count. Only done where exact: the conv's output feeds nothing but the BN
// (no fused activation in between, not read elsewhere, not a graph output) and its weights are
// its own.
import type { GraphBuilder } from './graph-builder'

/** Folds every eligible Conv → BatchNormalization pair in place; returns how many it folded. */
export function foldBatchNorms(graph: GraphBuilder, graphOutputs: readonly string[]): number {
  const consumers = graph.consumers(graphOutputs)
  const producers = new Map(graph.nodes.map((node) => [node.output[0]!, node]))
  const removed = new Set<object>()
  let folded = 0
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization') continue
    const conv = producers.get(bn.input[0]!)
    if (!conv || conv.opType !== 'Conv' || consumers.get(conv.output[0]!) !== 1) continue
    const [, weightName, biasName] = conv.input
    const [, scaleName, betaName, meanName, varName] = bn.input
    const w = graph.floats.get(weightName!)
    const params = [scaleName, betaName, meanName, varName].map((name) => graph.floats.get(name!))
    if (!w || params.some((param) => !param) || consumers.get(weightName!) !== 1) continue
    if (biasName !== undefined && (!graph.floats.has(biasName) || consumers.get(biasName) !== 1)) continue
    const [gamma, beta, mean, variance] = params.map((param) => param!.values) as [Float32Array, Float32Array, Float32Array, Float32Array]
    const epsilon = bn.attribute.find((attribute) => attribute.name === 'epsilon')?.f ?? 1e-5
    const outChannels = w.dims[0]!
    if (gamma.length !== outChannels) continue
    const perChannel = w.values.length / outChannels
    const oldBias = biasName !== undefined ? graph.floats.get(biasName)!.values : new Float32Array(outChannels)
    const weights = new Float32Array(w.values.length)
    const bias = new Float32Array(outChannels)
    for (let o = 0; o < outChannels; o++) {
      // Float64 arithmetic, rounded once, keeps the folded model within float32 noise of the original.
      const scale = gamma[o]! / Math.sqrt(variance[o]! + epsilon)
      for (let k = 0; k < perChannel; k++) weights[o * perChannel + k] = w.values[o * perChannel + k]! * scale
      bias[o] = (oldBias[o]! - mean[o]!) * scale + beta[o]!
    }
    w.values = weights
    const newBias = graph.floatInitializer(`${conv.name}_B_folded`, [outChannels], bias)
    conv.input = [conv.input[0]!, weightName!, newBias]
    conv.output = [bn.output[0]!]
    removed.add(bn)
    folded++
  }
  const kept = graph.nodes.filter((node) => !removed.has(node))
  graph.nodes.splice(0, graph.nodes.length, ...kept)
  graph.pruneInitializers()
  return folded
}
