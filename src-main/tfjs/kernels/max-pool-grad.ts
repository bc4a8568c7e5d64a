// MaxPoolGrad for the wasm backend. tfjs-backend-wasm 4.22 has one, but it is wrong whenever a window's
// maximum is ≤ 0: its C++ arg-max starts from std::numeric_limits<float>::min() (the smallest *positive*
// float, not the lowest), so windows whose values are all ≤ 0 send their gradient to the wrong element or
// lose it (e.g. window [-3, -1, -2, -4] → gradient on -3). Max pooling after a ReLU hides this (the tied
// zeros get no gradient through the ReLU either); max pooling after batch norm, a linear conv or any
// signed input does not. MaxPoolWithArgmax on wasm has the same bug, so this kernel is composed instead:
//
//   taps  V[t, (n, oh, ow, c)] = tap t = i·kw + j of every window: for non-overlapping windows (stride =
//         window, no padding) one reshape + transpose of x; otherwise a depthwise conv with a one-hot
//         filter, which applies the pool's strides and padding (padded taps get −∞ added)
//   first arg-max, as the cpu backend picks it (first in row-major window order): isMax = 1 exactly
//         where V equals the pooled maximum; subtracting an exclusive cumulative sum over t keeps the first
//   scatter G = selected · dy back to the input: the inverse transpose for non-overlapping windows;
//         otherwise the adjoint of the tap extraction (zero-upsample by the stride, a depthwise conv with
//         the 180°-rotated one-hot filter, a sum over the taps).
// All element-wise steps work on [T, n·ho·wo·c] rows, where broadcasting pooled/dy over t is cheap.
// Windows that tile the input (2×2/2, the common case) skip the tap layout entirely: see
// disjointWindowsGrad — 1.5× less CPU time than the tap layout (seed CNN [64,30,30,32] 24.9 → 16.0 ms,
// [64,13,13,64] 9.6 → 6.4 ms; identical results).
// Measured (2 cores): [64,30,30,32] 2×2/2 16 ms vs 42 ms for the stock kernel, [64,13,13,64] 7 vs 17 ms;
// overlapping windows are slower than the stock kernel (3×3/2 'same' on [32,48,48,16]: 90 vs 46 ms).
// Inputs are assumed finite (a window holding ±∞ as its maximum gives NaN gradients).
import * as tf from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc, NamedAttrMap } from '@tensorflow/tfjs-core'
import { type Pad, type RoundingMode, type Strides, asTensor4D, assertShape, exactWindowGeometry, oneHotTapFilter, upsampleForInputGradient } from './kernel-util'

const NAME = 'MaxPoolGrad'

/** Depthwise filter [kh, kw, c·T, 1]: channel c·T + t holds the one-hot of tap t rotated by 180°. */
function rotatedOneHotTaps(kh: number, kw: number, c: number): tf.Tensor4D {
  const taps = kh * kw
  const values = new Float32Array(kh * kw * c * taps)
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const t = (kh - 1 - i) * kw + (kw - 1 - j)
      for (let ch = 0; ch < c; ch++) values[(i * kw + j) * c * taps + ch * taps + t] = 1
    }
  }
  return tf.tensor4d(values, [kh, kw, c * taps, 1])
}

// The wasm Transpose is fast up to rank 4 (after merging leading dimensions that stay in place) and
// very slow above (a generic per-element loop: 120 ms for 1.8M values), so the 5-D reorderings between
// window layout [a, kh, wo, kw, c] (a = n·ho) and tap layout [kh, kw, a, wo, c] are done as two 3-D ones.

/** [a·kh·wo·kw·c] in window layout → [kh, kw, a, wo, c] (tap-major). */
function windowsToTaps(x: tf.Tensor, a: number, kh: number, wo: number, kw: number, c: number): tf.Tensor {
  const khFirst = tf.transpose(tf.reshape(x, [a, kh, wo * kw * c]), [1, 0, 2]) // [kh, a, wo·kw·c]
  return tf.transpose(tf.reshape(khFirst, [kh, a * wo, kw, c]), [0, 2, 1, 3]) // [kh, kw, a·wo, c]
}

/** Inverse of windowsToTaps: [kh, kw, a, wo, c] → [a, kh, wo, kw, c]. */
function tapsToWindows(g: tf.Tensor, a: number, kh: number, wo: number, kw: number, c: number): tf.Tensor {
  const kwInside = tf.transpose(tf.reshape(g, [kh, kw, a * wo, c]), [0, 2, 1, 3]) // [kh, a·wo, kw, c]
  return tf.transpose(tf.reshape(kwInside, [kh, a, wo * kw * c]), [1, 0, 2]) // [a, kh, wo·kw·c]
}

/**
 * Gradient of maxPool (NHWC, dilation 1) with respect to its input; `pooled` is the forward output.
 * Ties go to the first maximum in row-major window order, as on the cpu backend. Returns a new tensor.
 */
export function maxPoolGradComposed(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  pooled: tf.Tensor4D,
  filterSize: [number, number] | number,
  strides: Strides,
  pad: Pad,
  dimRoundingMode?: RoundingMode,
  tiledWindows = true
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape
    const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode)
    const { outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info
    assertShape(NAME, 'dy', dy.shape, [n, ho, wo, c])
    assertShape(NAME, 'output', pooled.shape, [n, ho, wo, c])
    const taps = kh * kw
    const size = n * ho * wo * c
    // Explicit geometry: windows read rows/columns outside x exactly where `pad` is positive.
    const { input, pad: exactPad } = exactWindowGeometry(x, info)
    const padded = exactPad.some(([before, after]) => before > 0 || after > 0)
    const disjoint = !padded && sh === kh && sw === kw
    if (tiledWindows && disjoint && taps <= MAX_WEIGHTED_TAPS) return disjointWindowsGrad(x, dy, pooled, kh, kw)

    // tapValues[t, (n, oh, ow, c)]: the value of tap t of every window.
    let tapValues: tf.Tensor2D
    if (disjoint) {
      // Windows tile the input: a reshape + transpose lists the taps (rows/columns no window reads are cut off).
      const used = ho * kh === h && wo * kw === w ? x : tf.slice(x, [0, 0, 0, 0], [n, ho * kh, wo * kw, c])
      tapValues = tf.reshape(windowsToTaps(used, n * ho, kh, wo, kw, c), [taps, size])
    } else {
      let v = tf.reshape(tf.depthwiseConv2d(input, oneHotTapFilter(kh, kw, c), [sh, sw], exactPad), [n, ho, wo, c, taps])
      if (padded) {
        // + 0 for taps inside the input, + −∞ for taps in the padding (never a maximum).
        const ones = tf.ones([1, input.shape[1], input.shape[2], 1]) as tf.Tensor4D
        const inside = tf.depthwiseConv2d(ones, oneHotTapFilter(kh, kw, 1), [sh, sw], exactPad)
        v = tf.add(v, tf.reshape(tf.log(inside), [1, ho, wo, 1, taps]))
      }
      tapValues = tf.transpose(tf.reshape(v, [size, taps]))
    }

    // isMax = 1 exactly where a tap equals its window's maximum, else 0: the difference is 0 or negative
    // (at least the smallest subnormal, 2^-149, in magnitude), and 2^200 scales any negative one below −1.
    const diff = tf.sub(tapValues, tf.reshape(pooled, [1, size]))
    const isMax = tf.relu(tf.add(tf.mul(tf.mul(diff, tf.scalar(2 ** 100)), tf.scalar(2 ** 100)), tf.scalar(1)))
    // Keep only the first maximum of each window (the cpu backend's tie-break): subtract how many maxima
    // earlier taps had (an exclusive cumulative sum over t; slicing rows out instead would cost a copy of
    // the whole tensor per row, as the wasm Slice reads its entire input).
    const first = tf.relu(tf.sub(isMax, tf.cumsum(isMax, 0, true)))
    const g = tf.mul(first, tf.reshape(dy, [1, size]))

    if (disjoint) {
      const placed = tf.reshape(tapsToWindows(g, n * ho, kh, wo, kw, c), [n, ho * kh, wo * kw, c])
      if (ho * kh === h && wo * kw === w) return placed as tf.Tensor4D
      return tf.pad(placed as tf.Tensor4D, [[0, 0], [0, h - ho * kh], [0, w - wo * kw], [0, 0]])
    }
    // Overlapping or padded windows: the adjoint of the tap extraction.
    const perChannelTaps = tf.reshape(tf.transpose(g), [n, ho, wo, c * taps]) as tf.Tensor4D
    const convInfo = tf.backend_util.computeConv2DInfo(x.shape, [kh, kw, c, taps], strides, 1, pad, dimRoundingMode, true)
    const { dyUp, pad: convPad } = upsampleForInputGradient(perChannelTaps, convInfo)
    const spread = tf.depthwiseConv2d(dyUp, rotatedOneHotTaps(kh, kw, c), 1, convPad)
    return tf.sum(tf.reshape(spread, [n, h, w, c, taps]), -1) as tf.Tensor4D
  })
}

/** Tap weights 2^(T−1−t) and their differences stay exact in float32 up to this many taps. */
const MAX_WEIGHTED_TAPS = 24

/**
 * Windows that tile x (stride = window, no padding), without any transpose or cumsum: x viewed as
 * [n·ho, kh, wo, kw, c] lines up with pooled / dy viewed as [n·ho, 1, wo, 1, c], and XNNPACK broadcasts
 * between them. isMax as above; the first maximum is the one whose tap weight 2^(T−1−t) is largest, which
 * a native max pool of isMax·weight finds (these values are exact integers, so equality is exact too).
 */
function disjointWindowsGrad(x: tf.Tensor4D, dy: tf.Tensor4D, pooled: tf.Tensor4D, kh: number, kw: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape
  const [, ho, wo] = pooled.shape
  const used = ho * kh === h && wo * kw === w ? x : tf.slice(x, [0, 0, 0, 0], [n, ho * kh, wo * kw, c])
  const windows = tf.reshape(used, [n * ho, kh, wo, kw, c])
  const perWindow = (t: tf.Tensor) => tf.reshape(t, [n * ho, 1, wo, 1, c])
  const diff = tf.sub(windows, perWindow(pooled))
  const isMax = tf.relu(tf.add(tf.mul(tf.mul(diff, tf.scalar(2 ** 100)), tf.scalar(2 ** 100)), tf.scalar(1)))
  const weights = new Float32Array(kh * kw).map((_, t) => 2 ** (kh * kw - 1 - t))
  const weighted = tf.mul(isMax, tf.tensor(weights, [1, kh, 1, kw, 1]))
  const firstWeight = tf.maxPool(tf.reshape(weighted, [n, ho * kh, wo * kw, c]) as tf.Tensor4D, [kh, kw], [kh, kw], 'valid')
  const first = tf.relu(tf.add(tf.sub(weighted, perWindow(firstWeight)), tf.scalar(1)))
  const placed = tf.reshape(tf.mul(first, perWindow(dy)), [n, ho * kh, wo * kw, c]) as tf.Tensor4D
  if (ho * kh === h && wo * kw === w) return placed
  return tf.pad(placed, [[0, 0], [0, h - ho * kh], [0, w - wo * kw], [0, 0]])
}

/**
 * The replacement MaxPoolGrad kernel (keeps the stock config's setup function). `tiledWindows: false`
 * sends tiling windows through the tap layout too (for comparisons).
 */
export function maxPoolGradWasmConfig(stock?: KernelConfig, tiledWindows = true): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, attrs }) => {
    const a = (attrs ?? {}) as NamedAttrMap
    return tf.tidy(() =>
      maxPoolGradComposed(
        asTensor4D(inputs.dy!),
        asTensor4D(inputs.input!),
        asTensor4D(inputs.output!),
        a.filterSize as [number, number] | number,
        a.strides as Strides,
        a.pad as Pad,
        a.dimRoundingMode as RoundingMode,
        tiledWindows
      )
    )
  }
  return { ...(stock ?? {}), kernelName: NAME, backendName: 'wasm', kernelFunc }
}
