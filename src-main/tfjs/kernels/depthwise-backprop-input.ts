// DepthwiseConv2dNativeBackpropInput for the wasm backend, which has no such kernel (tfjs-backend-wasm 4.22).
//
//   dx = depthwiseConv2d(zero-upsample(dy, stride), rot180(w), stride 1, explicit pad)
//
// Same geometry as the conv2d input gradient (kernel-util.ts), but a depthwise filter [kh, kw, c, 1] keeps
// its channel axis, so it is only flipped. Channel multiplier 1 and dilation 1 only.
import * as tf from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc, NamedAttrMap } from '@tensorflow/tfjs-core'
import {
  type Pad,
  type RoundingMode,
  type Shape4D,
  type Strides,
  asTensor4D,
  assertDilationOne,
  assertShape,
  upsampleForInputGradient
} from './kernel-util'
import { assertMultiplierOne } from './depthwise-backprop-filter'

const NAME = 'DepthwiseConv2dNativeBackpropInput'

/** Gradient of depthwiseConv2d (NHWC, multiplier 1, dilation 1) with respect to its input. Returns a new tensor. */
export function depthwiseBackpropInputComposed(
  inputShape: Shape4D,
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: Strides,
  pad: Pad,
  dimRoundingMode?: RoundingMode
): tf.Tensor4D {
  assertMultiplierOne(NAME, filter.shape)
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, true, 'channelsLast')
    assertShape(NAME, 'dy', dy.shape, [info.batchSize, info.outHeight, info.outWidth, info.outChannels])
    const flipped = info.filterHeight === 1 && info.filterWidth === 1 ? filter : tf.reverse(filter, [0, 1])
    const { dyUp, pad: convPad } = upsampleForInputGradient(dy, info)
    const dx = tf.depthwiseConv2d(dyUp, flipped, 1, convPad)
    assertShape(NAME, 'result', dx.shape, inputShape)
    return dx
  })
}

const kernelFunc: KernelFunc = ({ inputs, attrs }) => {
  const a = (attrs ?? {}) as NamedAttrMap
  assertDilationOne(NAME, a.dilations)
  return tf.tidy(() =>
    depthwiseBackpropInputComposed(
      a.inputShape as Shape4D,
      asTensor4D(inputs.dy!),
      asTensor4D(inputs.filter!),
      a.strides as Strides,
      a.pad as Pad,
      a.dimRoundingMode as RoundingMode
    )
  )
}

export const depthwiseBackpropInputWasmConfig: KernelConfig = { kernelName: NAME, backendName: 'wasm', kernelFunc }
