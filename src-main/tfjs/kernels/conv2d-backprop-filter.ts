// Conv2DBackpropFilter for the wasm backend, which has no such kernel (tfjs-backend-wasm 4.22).
//
//   dW[i, j, ci, co] = Σ_{n, oh, ow} xPadded[n, oh*sh + i, ow*sw + j, ci] · dy[n, oh, ow, co]
//
// Composed as im2col + one matrix product, where the im2col itself is done by XNNPACK: a depthwise
// convolution of x with a one-hot filter of channel multiplier T = kh·kw (output channel ci·T + t copies
// tap t = i·kw + j of input channel ci) applies the forward pass's own strides and padding and yields the
// columns [n, ho, wo, ci·T] in one native call. Then
//   dW' = colsᵀ · dy   ([ci·T, M] · [M, co], M = n·ho·wo; an explicit 2-D transpose followed by a plain
//                       matMul: the wasm matMul with transposeA = true was 5–30× slower)
// and a small transpose reorders dW' from (ci, t, co) to the filter's (t, ci, co) layout.
//
// Measured on the seed CNN's layers (batch 64, 2 cores): 13–36 ms per layer, where strided slices +
// concat for the im2col cost 110–260 ms (the wasm Slice/Concat copy one channel run at a time in JS)
// and an identity-filter conv2d im2col grows with (kh·kw·ci)².
//
// Stride-1 layers whose columns outweigh x and dy (small images, many channels) skip the im2col: with the
// batch as the channel axis the gradient is itself one convolution (see viaBatchedConv), whose only extra
// work is transposing x and dy. CPU time per call (interleaved medians, 2 busy cores): seed CNN conv3
// ([64,6,6,64] → 3×3×64×64) 11.2 → 7.2 ms, conv2 ([64,15,15,32] → 3×3×32×64) 39–44 → 33–42 ms; conv1
// (3 input channels, columns smaller than dy) stays on im2col, where this would be slower (17 vs 31 ms).
// (A JavaScript im2col writing the wasm heap directly was slower than the depthwise one plus transpose.)
import * as tf from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc, NamedAttrMap } from '@tensorflow/tfjs-core'
import {
  type Pad,
  type RoundingMode,
  type Shape4D,
  type Strides,
  asTensor4D,
  assertDilationOne,
  assertNHWC,
  assertShape,
  exactWindowGeometry,
  oneHotTapFilter
} from './kernel-util'

const NAME = 'Conv2DBackpropFilter'

/** Gradient of conv2d (NHWC, dilation 1) with respect to its filter, from wasm-native ops. Returns a new tensor. */
export function conv2dBackpropFilterComposed(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: Shape4D,
  strides: Strides,
  pad: Pad,
  dimRoundingMode?: RoundingMode,
  allowBatchedConv = true
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast')
    const { batchSize: n, outHeight: ho, outWidth: wo, inChannels: ci, outChannels: co } = info
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info
    assertShape(NAME, 'dy', dy.shape, [n, ho, wo, co])
    assertShape(NAME, 'x', [x.shape[3]], [filterShape[2]])
    const taps = kh * kw
    const m = n * ho * wo
    if (allowBatchedConv && usesBatchedConv(info)) return viaBatchedConv(x, dy, info, filterShape)
    const { top, bottom, left, right } = info.padInfo
    const identity = taps === 1 && sh === 1 && sw === 1 && top + bottom + left + right === 0 && ho === info.inHeight && wo === info.inWidth
    let cols = x
    if (!identity) {
      const { input, pad: exactPad } = exactWindowGeometry(x, info)
      cols = tf.depthwiseConv2d(input, oneHotTapFilter(kh, kw, ci), [sh, sw], exactPad)
    }
    const colsT = tf.transpose(tf.reshape(cols, [m, ci * taps]))
    const grad = tf.matMul(colsT, tf.reshape(dy, [m, co])) // [ci·T, co]
    if (taps === 1) return tf.reshape(grad, filterShape)
    return tf.reshape(tf.transpose(tf.reshape(grad, [ci, taps, co]), [1, 0, 2]), filterShape)
  })
}

/** Use viaBatchedConv when the im2col columns (ci·kh·kw·m values) exceed this many times x and dy together. */
const BATCHED_CONV_RATIO = 2

/** Whether the filter gradient for this geometry runs as one batched convolution (stride 1, columns > 2× x + dy) instead of im2col. */
export function usesBatchedConv(info: tf.backend_util.Conv2DInfo): boolean {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return false
  const columns = ci * info.filterHeight * info.filterWidth * n * ho * wo
  return columns > BATCHED_CONV_RATIO * (n * h * w * ci + n * ho * wo * co)
}

/**
 * Stride 1 only:  dW[i, j, ci, co] = Σ_{n, oh, ow} x[n, oh + i, ow + j, ci] · dy[n, oh, ow, co]
 * is a valid convolution of xᵀ = x as [ci, H, W, n] (channels ↔ batch) with dy as a filter
 * [ho, wo, n, co], giving [ci, kh, kw, co]; XNNPACK runs it as one GEMM with the same shape as
 * im2col's (M = ci·kh·kw, K = n·ho·wo, N = co) and no column matrix.
 */
function viaBatchedConv(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, filterShape: Shape4D): tf.Tensor4D {
  const { input, pad } = exactWindowGeometry(x, info)
  const xT = tf.transpose(input, [3, 1, 2, 0])
  const dyT = tf.transpose(dy, [1, 2, 0, 3])
  const grad = tf.transpose(tf.conv2d(xT, dyT, 1, pad), [1, 2, 0, 3])
  assertShape(NAME, 'result', grad.shape, filterShape)
  return grad
}

/** The kernel config; `allowBatchedConv: false` keeps every geometry on im2col (for comparisons). */
export function conv2dBackpropFilterWasmConfig(allowBatchedConv = true): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, attrs }) => {
    const a = (attrs ?? {}) as NamedAttrMap
    assertNHWC(NAME, a.dataFormat)
    assertDilationOne(NAME, a.dilations)
    return tf.tidy(() =>
      conv2dBackpropFilterComposed(
        asTensor4D(inputs.x!),
        asTensor4D(inputs.dy!),
        a.filterShape as Shape4D,
        a.strides as Strides,
        a.pad as Pad,
        a.dimRoundingMode as RoundingMode,
        allowBatchedConv
      )
    )
  }
  return { kernelName: NAME, backendName: 'wasm', kernelFunc }
}
