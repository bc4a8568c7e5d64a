// The arithmetic of static 8-bit linear quantization, as ONNX's QuantizeLinear defines it:
// q = saturate(round_half_even(x / scale) + zero_point), x ≈ (q − zero_point) · scale.
// Weights: symmetric int8 per output channel (zero point 0, range ±127, so −128 never appears and
// a weight and its negation quantize alike). Activations: one scale and zero point per tensor,
// asymmetric over the calibrated range widened to include 0 (zero padding must stay exactly 0).

export type ActivationType = 'uint8' | 'int8'

export interface QuantParams {
  scale: number
  zeroPoint: number
  /** The integer type's range (0…255 or −128…127), where QuantizeLinear saturates whatever range calibration chose. */
  qmin: number
  qmax: number
}

export interface PerChannelWeights {
  values: Int8Array
  /** One scale per channel along `axis`. */
  scales: Float32Array
}

const INT8_WEIGHT_MAX = 127
/** 7-bit weights; see QuantizeOptions.reduceRange. */
export const REDUCED_WEIGHT_MAX = 63
/** A scale never below this: an all-zero channel or a constant-zero tensor still has a valid (positive) scale. */
const MIN_SCALE = 1e-8

/** ONNX rounds half to even (QuantizeLinear's spec); Math.round would round halves up. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x)
  const diff = x - floor
  if (diff > 0.5) return floor + 1
  if (diff < 0.5) return floor
  return floor % 2 === 0 ? floor : floor + 1
}

/**
 * Symmetric int8 per channel. `dims` is the weight's shape and `axis` the channel axis (0 for
 * Conv's [M, C/g, kh, kw], 1 for Gemm's B [in, out]).
 */
export function quantizeWeightsPerChannel(values: Float32Array, dims: readonly number[], axis: number, weightMax = INT8_WEIGHT_MAX): PerChannelWeights {
  const channels = dims[axis]!
  const inner = dims.slice(axis + 1).reduce((product, side) => product * side, 1)
  const channelOf = (index: number) => Math.floor(index / inner) % channels
  const maxAbs = new Float64Array(channels)
  values.forEach((value, index) => {
    const channel = channelOf(index)
    maxAbs[channel] = Math.max(maxAbs[channel]!, Math.abs(value))
  })
  const scales = Float32Array.from(maxAbs, (max) => Math.max(max / weightMax, MIN_SCALE))
  const quantized = new Int8Array(values.length)
  values.forEach((value, index) => {
    const q = roundHalfEven(value / scales[channelOf(index)]!)
    quantized[index] = Math.max(-weightMax, Math.min(weightMax, q))
  })
  return { values: quantized, scales }
}

/** Bias as int32 with scale input_scale · weight_scale[c] and zero point 0: what QLinearConv adds to its int32 accumulator. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { values: Int32Array; scales: Float32Array } {
  const scales = Float32Array.from(weightScales, (scale) => inputScale * scale)
  const values = Int32Array.from(bias, (value, channel) => {
    const q = roundHalfEven(value / scales[channel]!)
    return Math.max(-2147483647, Math.min(2147483647, q))
  })
  return { values, scales }
}

/** Per-tensor asymmetric parameters for a calibrated range [min, max]. */
export function activationParams(min: number, max: number, type: ActivationType): QuantParams {
  const low = Math.min(0, min)
  const high = Math.max(0, max)
  const [qmin, qmax] = type === 'uint8' ? [0, 255] : [-128, 127]
  const scale = Math.max((high - low) / (qmax - qmin), MIN_SCALE)
  const zeroPoint = Math.max(qmin, Math.min(qmax, roundHalfEven(qmin - low / scale)))
  return { scale, zeroPoint, qmin, qmax }
}

/** The float values a tensor quantized with `params` can take after DequantizeLinear. */
export function representable(params: QuantParams): [number, number] {
  return [(params.qmin - params.zeroPoint) * params.scale, (params.qmax - params.zeroPoint) * params.scale]
}
