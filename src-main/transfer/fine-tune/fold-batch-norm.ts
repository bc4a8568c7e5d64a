// Batch norm folded into the convolution before it, for stage 2 (fine-tuning the top blocks).
//
// Why fold: Keras's fine-tuning guidance keeps batch norm in inference mode (its moving statistics)
// while the blocks around it learn, because re-estimating statistics from small batches of a few
// thousand images wrecks what ImageNet taught. tfjs-layers' BatchNormalization switches to batch
// statistics whenever it is applied with training: true, and the training loop must pass that for
// dropout. Folding makes the question disappear: a conv followed by BN in inference mode is exactly
//   y = conv(x, W)·s + (β − μ·s),   s = γ / √(σ² + ε)
// i.e. one conv with kernel W·s (per output channel) and bias β − μ·s. The folded conv trains its
// kernel and bias; the statistics stay what ImageNet measured.

/** One batch-norm layer's four weights and its epsilon (Keras MobileNetV2: 1e-3). */
export interface BatchNormWeights {
  gamma: Float32Array
  beta: Float32Array
  movingMean: Float32Array
  movingVariance: Float32Array
  epsilon: number
}

export interface FoldedConv {
  kernel: Float32Array
  bias: Float32Array
}

/**
 * Folds `bn` into a conv kernel whose last axis is the output channel: a Conv2D kernel
 * [kh, kw, in, out], or a depthwise kernel [kh, kw, channels, 1] when `depthwise` (the channel axis
 * is then the one before last, and the multiplier is 1 as in MobileNetV2).
 */
export function foldBatchNorm(kernel: Float32Array, shape: readonly number[], bn: BatchNormWeights, depthwise = false): FoldedConv {
  const channels = depthwise ? shape[shape.length - 2]! : shape[shape.length - 1]!
  if (depthwise && shape[shape.length - 1] !== 1) throw new RangeError(`a depthwise kernel with multiplier ${shape[shape.length - 1]} cannot be folded`)
  for (const values of [bn.gamma, bn.beta, bn.movingMean, bn.movingVariance]) {
    if (values.length !== channels) throw new RangeError(`batch norm has ${values.length} channels, the kernel ${channels}`)
  }
  const scale = new Float32Array(channels)
  const bias = new Float32Array(channels)
  for (let c = 0; c < channels; c++) {
    scale[c] = bn.gamma[c]! / Math.sqrt(bn.movingVariance[c]! + bn.epsilon)
    bias[c] = bn.beta[c]! - bn.movingMean[c]! * scale[c]!
  }
  // The channel is the fastest axis of both layouts (depthwise: [.., channels, 1]).
  const folded = new Float32Array(kernel.length)
  for (let index = 0; index < kernel.length; index++) folded[index] = kernel[index]! * scale[index % channels]!
  return { kernel: folded, bias }
}
