// Keras activations (fused into Conv/Dense or as an Activation layer) as ONNX ops.
import { storedAxis, unsupported, type OnnxValue } from './converter-types'
import type { GraphBuilder } from './graph-builder'

/** Activation names as tfjs-layers serializes them (its class names), and the ones Keras files use. */
export const SUPPORTED_ACTIVATIONS = ['linear', 'relu', 'relu6', 'softmax', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'hard_sigmoid', 'hardSigmoid', 'swish'] as const

/**
 * Applies `activation` to `value` and returns the result's name (the same name for 'linear').
 * Throws UnsupportedLayerError for anything else, so a model never exports with a silently wrong op.
 */
export function applyActivation(graph: GraphBuilder, value: OnnxValue, activation: unknown, baseName: string): string {
  const name = activation === null || activation === undefined ? 'linear' : activation
  const x = value.name
  switch (name) {
    case 'linear':
      return x
    case 'relu':
      return graph.op('Relu', [x], `${baseName}_relu`)
    case 'relu6':
      return clip(graph, x, 0, 6, `${baseName}_relu6`)
    case 'softmax':
      // Keras' softmax runs over the last (channel) axis, which a stored rank-4 value has at 1.
      return graph.op('Softmax', [x], `${baseName}_softmax`, { axis: storedAxis(-1, value.shape.length) })
    case 'sigmoid':
      return graph.op('Sigmoid', [x], `${baseName}_sigmoid`)
    case 'tanh':
      return graph.op('Tanh', [x], `${baseName}_tanh`)
    case 'elu':
      return graph.op('Elu', [x], `${baseName}_elu`, { alpha: { float: 1 } })
    case 'selu':
      // ONNX's default alpha and gamma are the same constants as Keras'.
      return graph.op('Selu', [x], `${baseName}_selu`)
    case 'softplus':
      return graph.op('Softplus', [x], `${baseName}_softplus`)
    case 'softsign':
      return graph.op('Softsign', [x], `${baseName}_softsign`)
    case 'hard_sigmoid':
    case 'hardSigmoid':
      // tfjs: clip(0.2·x + 0.5, 0, 1), which is ONNX HardSigmoid with these parameters.
      return graph.op('HardSigmoid', [x], `${baseName}_hard_sigmoid`, { alpha: { float: 0.2 }, beta: { float: 0.5 } })
    case 'swish':
      return graph.op('Mul', [x, graph.op('Sigmoid', [x], `${baseName}_swish_sigmoid`)], `${baseName}_swish`)
    default:
      return unsupported(`activation ${JSON.stringify(name)} is not supported (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`)
  }
}

/** Clip with the bounds as scalar inputs (opset ≥ 11). */
export function clip(graph: GraphBuilder, x: string, min: number, max: number, name: string): string {
  return graph.op('Clip', [x, graph.sharedScalar(min), graph.sharedScalar(max)], name)
}
