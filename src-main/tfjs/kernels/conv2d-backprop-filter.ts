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
  dimRoundingMode?: RoundingMode
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast')
    const { batchSize: n, outHeight: ho, outWidth: wo, inChannels: ci, outChannels: co } = info
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info
    assertShape(NAME, 'dy', dy.shape, [n, ho, wo, co])
    assertShape(NAME, 'x', [x.shape[3]], [filterShape[2]])
    const taps = kh * kw
    const m = n * ho * wo
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
      a.dimRoundingMode as RoundingMode
    )
  )
}

export const conv2dBackpropFilterWasmConfig: KernelConfig = { kernelName: NAME, backendName: 'wasm', kernelFunc }
