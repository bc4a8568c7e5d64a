// Shared helpers for the composed wasm gradient kernels.
//
// The kernels in this folder are written with ordinary tfjs ops (slice, concat, pad, matMul, conv2d,
// depthwiseConv2d, ...), all of which the wasm backend implements natively. A kernel function may call
// ops: the engine stops recording to the gradient tape while a kernel runs (kernelDepth > 0), and a
// Tensor returned from a kernel function is passed through as the kernel's output unchanged. Every
// kernel body runs inside tf.tidy, so its intermediates are released before it returns.
//
// Costs on the wasm backend (tfjs 4.22) that shaped these compositions, measured on 2 cores:
//   - Slice and Concat copy in JavaScript, one innermost run at a time, and Slice first copies its whole
//     input out of the wasm heap: strided-slice im2col was 5–20× slower than a one-hot depthwise conv.
//   - matMul runs on XNNPACK only without transposes and with batch 1; transposeA/transposeB or batch > 1
//     fall back to a naive loop (5–30× slower). Its second operand is repacked on every call.
//   - Transpose is fast up to rank 4 (leading dimensions that stay in place are merged away) and a slow
//     per-element loop above; Tile walks its output element by element; comparisons (Equal, Less, …)
//     with broadcasting are slow, while XNNPACK's add/sub/mul/relu and the convolutions/pools are fast.
import * as tf from '@tensorflow/tfjs-core'
import type { TensorInfo, backend_util } from '@tensorflow/tfjs-core'

export type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding
export type Strides = [number, number] | number
export type RoundingMode = 'floor' | 'round' | 'ceil' | undefined
export type Shape4D = [number, number, number, number]

/**
 * A kernel input as a Tensor ops accept. Inputs that come from ops already are Tensors; a bare TensorInfo
 * is wrapped in a new Tensor that shares its data (call only inside tf.tidy, which releases the wrapper
 * without freeing the data).
 */
export function asTensor(info: TensorInfo): tf.Tensor {
  return info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)
}

/** asTensor for inputs that must be rank 4. */
export function asTensor4D(info: TensorInfo): tf.Tensor4D {
  const t = asTensor(info)
  if (t.rank !== 4) throw new Error(`expected a rank-4 tensor, got shape [${t.shape.join(', ')}]`)
  return t as tf.Tensor4D
}

/** Throws if `attrs.dilations` is anything other than 1 (or absent): the composed kernels support dilation 1 only. */
export function assertDilationOne(kernelName: string, dilations: unknown): void {
  if (dilations == null) return
  const values = typeof dilations === 'number' ? [dilations] : Array.isArray(dilations) ? dilations : [NaN]
  if (values.some((d) => d !== 1)) {
    throw new Error(
      `${kernelName} (wasm, composed): unsupported attribute dilations=${JSON.stringify(dilations)}; only dilation 1 is supported`
    )
  }
}

/** Throws unless the data format is NHWC (channels last), the only layout the composed kernels handle. */
export function assertNHWC(kernelName: string, dataFormat: unknown): void {
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(
      `${kernelName} (wasm, composed): unsupported attribute dataFormat=${JSON.stringify(dataFormat)}; only 'NHWC' is supported`
    )
  }
}

export function assertShape(kernelName: string, what: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`${kernelName} (wasm, composed): ${what} has shape [${actual.join(', ')}], expected [${expected.join(', ')}]`)
  }
}

/**
 * Pads x (NHWC) so that every window of the forward convolution lies inside it: `top`/`left` zeros before,
 * and after only as many as the last window reads (rows/columns the forward pass never reads, e.g. the
 * remainder of a 'valid' strided convolution, are simply not sliced). Window (oh, ow) then starts at
 * (oh*sh, ow*sw) of the padded tensor.
 */
export function padForWindows(x: tf.Tensor4D, info: backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, left } = info.padInfo
  const needH = (info.outHeight - 1) * info.strideHeight + info.filterHeight
  const needW = (info.outWidth - 1) * info.strideWidth + info.filterWidth
  const bottom = Math.max(0, needH - top - info.inHeight)
  const right = Math.max(0, needW - left - info.inWidth)
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x
  return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])
}

/**
 * The "transposed convolution" geometry shared by the two input-gradient kernels. The input gradient is
 * a stride-1 correlation of dy, zero-upsampled by the stride, with the filter rotated by 180°:
 *   dx[h] = Σ_i dyUp[h + top − i] · w[i] = Σ_i' dyUp[h − (kh − 1 − top) + i'] · w[kh − 1 − i']
 * so dyUp is padded by (kh − 1 − top) before and by whatever makes the output exactly inHeight after.
 * Returns dyUp (cropped where a pad would be negative) and the non-negative explicit padding to hand to the
 * forward convolution, which applies it for free.
 */
export function upsampleForInputGradient(
  dy: tf.Tensor4D,
  info: backend_util.Conv2DInfo
): { dyUp: tf.Tensor4D; pad: backend_util.ExplicitPadding } {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info
  const [n, ho, wo, c] = dy.shape
  let up: tf.Tensor4D = dy
  if (sh > 1 || sw > 1) {
    // Zero-upsample: [n, ho, wo, c] -> [n, ho, 1, wo, 1, c] -> pad to [n, ho, sh, wo, sw, c] -> [n, ho*sh, wo*sw, c].
    // The (sh−1) trailing zero rows (and sw−1 columns) are accounted for in the bottom/right pad below.
    const six = tf.reshape(dy, [n, ho, 1, wo, 1, c])
    const padded = tf.pad(six, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]])
    up = tf.reshape(padded, [n, ho * sh, wo * sw, c])
  }
  let padTop = kh - 1 - info.padInfo.top
  let padLeft = kw - 1 - info.padInfo.left
  // Output height of a stride-1 valid correlation: padTop + rows + padBottom − kh + 1 must equal inHeight.
  let padBottom = info.inHeight + kh - 1 - padTop - ho * sh
  let padRight = info.inWidth + kw - 1 - padLeft - wo * sw
  // Negative pads (explicit forward padding wider than the filter, or unused trailing zero rows) become crops.
  const cropTop = Math.max(0, -padTop)
  const cropLeft = Math.max(0, -padLeft)
  const cropBottom = Math.max(0, -padBottom)
  const cropRight = Math.max(0, -padRight)
  if (cropTop + cropLeft + cropBottom + cropRight > 0) {
    up = tf.slice(up, [0, cropTop, cropLeft, 0], [n, up.shape[1] - cropTop - cropBottom, up.shape[2] - cropLeft - cropRight, c])
    padTop = Math.max(0, padTop)
    padLeft = Math.max(0, padLeft)
    padBottom = Math.max(0, padBottom)
    padRight = Math.max(0, padRight)
  }
  return { dyUp: up, pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]] }
}

/**
 * A depthwise filter [kh, kw, c, kh·kw] that copies each input channel's kh·kw window taps into its own
 * output channels: filter[i, j, ch, t] = 1 where t = i·kw + j. A depthwise convolution with it is im2col
 * (output channel ch·kh·kw + t holds tap t of channel ch), done natively with any stride and padding.
 */
export function oneHotTapFilter(kh: number, kw: number, c: number): tf.Tensor4D {
  const taps = kh * kw
  const values = new Float32Array(taps * c * taps)
  for (let t = 0; t < taps; t++) {
    for (let ch = 0; ch < c; ch++) values[(t * c + ch) * taps + t] = 1
  }
  return tf.tensor4d(values, [kh, kw, c, taps])
}

/**
 * Input and explicit padding for a convolution / pooling with this geometry (filter, strides) whose output
 * must be exactly info.outHeight × info.outWidth. XNNPACK derives the output size from the padding itself
 * (floor rounding), so a forward pass given a numeric pad with dimRoundingMode 'ceil'/'round' would leave
 * rows unwritten; explicit padding of exactly what the last window reads (and cropping input rows no
 * window reads, when they are a whole stride or more) avoids that.
 */
export function exactWindowGeometry(
  x: tf.Tensor4D,
  info: backend_util.Conv2DInfo
): { input: tf.Tensor4D; pad: backend_util.ExplicitPadding } {
  const { top, left } = info.padInfo
  const needH = (info.outHeight - 1) * info.strideHeight + info.filterHeight
  const needW = (info.outWidth - 1) * info.strideWidth + info.filterWidth
  const bottom = needH - top - info.inHeight
  const right = needW - left - info.inWidth
  const cropH = bottom <= -info.strideHeight
  const cropW = right <= -info.strideWidth
  const [n, h, w, c] = x.shape
  const input = cropH || cropW ? tf.slice(x, [0, 0, 0, 0], [n, cropH ? needH - top : h, cropW ? needW - left : w, c]) : x
  return { input, pad: [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]] }
}

