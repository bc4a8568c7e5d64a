// Registers the gradient kernels that tfjs-backend-wasm 4.22 lacks, composed from kernels it has, so that
// models with conv2d / depthwiseConv2d layers can be trained on the wasm backend:
//   missing, registered when tf.getKernel(name, 'wasm') is undefined:
//     Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput
//   replaced (the stock kernel is unregistered first and kept, for undoing and as a fallback):
//     MaxPoolGrad — on by default, a correctness fix: the stock wasm kernel mis-routes the gradient of
//       every window whose maximum is ≤ 0 (see max-pool-grad.ts); the composed one matches the cpu
//       backend exactly, ties included, and is ~2.5× faster for 2×2/2 pools (slower for overlapping ones;
//       seed CNN training step 1.1× faster)
//     BatchMatMul — on by default; products with transposeA / transposeB (every dense layer's backward
//       pass) transpose the operand first and run on XNNPACK instead of the stock naive loop (see
//       batch-matmul-transposed.ts); flag-free products go to the stock kernel
//     Identity — on by default; shares the input's data (reference counted, as the cpu backend does)
//       instead of copying it (see identity-shared.ts)
//     Conv2DBackpropInput — on by default; the stock one is a plain loop nest, the composed one runs on
//       XNNPACK's Conv2D (3–12× faster per call; seed CNN training step ~2.2×); NCHW goes to the stock one
//     Tile, Sum, Mean — opt-in (`fastBroadcastAndReductions: true`); only their broadcast / leading-axes
//       cases change, which is what batch norm uses (seed CNN + batch norm + dropout: ~1.8× for the
//       whole step; without batch norm ~1.03×). Recommended for models with batch norm.
// Every other kernel that training a conv net or a MobileNet-style block reaches already exists on wasm
// and matches the cpu backend (AvgPoolGrad, the batch-norm gradient's Tile/Sum/Rsqrt/…, Relu6's
// Step/LessEqual, ClipByValue's Select/…, dropout's random ops); the unit tests train both kinds of model.
//
// Call order: setWasmPaths(...) → await tf.setBackend('wasm') → registerWasmGradientKernels().
// (Calling it before setBackend also works: this module imports the wasm backend so that its stock kernels
// are registered first, and each replacement keeps the stock kernel's setup function.)
import '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core'
import { batchMatMulWasmConfig } from './batch-matmul-transposed'
import { identityWasmConfig } from './identity-shared'
import { conv2dBackpropFilterWasmConfig } from './conv2d-backprop-filter'
import { conv2dBackpropInputWasmConfig } from './conv2d-backprop-input'
import { depthwiseBackpropFilterWasmConfig } from './depthwise-backprop-filter'
import { depthwiseBackpropInputWasmConfig } from './depthwise-backprop-input'
import { meanWasmConfig, sumWasmConfig } from './leading-axes-reduction'
import { maxPoolGradWasmConfig } from './max-pool-grad'
import { tileWasmConfig } from './tile-broadcast'

const BACKEND = 'wasm'

/** Conv2DBackpropFilter with its batched-convolution path (the default) and without (im2col only). */
const filterGradient = { batched: conv2dBackpropFilterWasmConfig(true), im2colOnly: conv2dBackpropFilterWasmConfig(false) }
/** Kernels registered only where the wasm backend has none. */
const MISSING_ON_WASM: readonly KernelConfig[] = [
  filterGradient.batched,
  depthwiseBackpropFilterWasmConfig,
  depthwiseBackpropInputWasmConfig
]

/** Stock kernels that can be replaced; each factory gets the stock config to fall back to. */
const REPLACEMENTS: Record<string, (stock: KernelConfig, options: RegisterWasmGradientOptions) => KernelConfig> = {
  MaxPoolGrad: (stock, options) => maxPoolGradWasmConfig(stock, options.tiledMaxPoolGrad !== false),
  BatchMatMul: batchMatMulWasmConfig,
  Identity: identityWasmConfig,
  Conv2DBackpropInput: (stock) => conv2dBackpropInputWasmConfig(stock.kernelFunc, stock.setupFunc),
  Tile: tileWasmConfig,
  Sum: sumWasmConfig,
  Mean: meanWasmConfig
}

/** Kernel functions installed by this module (to stay idempotent and to undo replacements). */
const installed = new WeakSet<KernelFunc>()
for (const config of [...MISSING_ON_WASM, filterGradient.im2colOnly]) installed.add(config.kernelFunc)
/** The stock configs that replacements displaced, by kernel name. */
const stockConfigs = new Map<string, KernelConfig>()

export interface RegisterWasmGradientOptions {
  /** Replace the stock wasm MaxPoolGrad, which is wrong for windows whose maximum is ≤ 0 (default true). */
  replaceMaxPoolGrad?: boolean
  /** Replace the stock wasm Conv2DBackpropInput with the composed one (default true; NCHW still goes to the stock one). */
  replaceConv2DBackpropInput?: boolean
  /** Replace the stock wasm BatchMatMul's transposed cases (transpose first, then XNNPACK; default true). */
  replaceTransposedMatMul?: boolean
  /** Replace the stock wasm Identity, which copies, with one that shares the data (default true). */
  replaceIdentity?: boolean
  /**
   * Replace the stock wasm Tile, Sum and Mean with versions whose broadcast / leading-axes cases run as
   * matrix products (default false). Speeds up batch norm's forward moments and gradient; all other
   * cases are passed to the stock kernels.
   */
  fastBroadcastAndReductions?: boolean
  /**
   * Let Conv2DBackpropFilter run stride-1 layers with many channels as one batched convolution instead of
   * im2col (default true; false is for comparisons).
   */
  batchedConvFilterGradient?: boolean
  /** Let MaxPoolGrad handle windows that tile the input without the tap layout (default true; false is for comparisons). */
  tiledMaxPoolGrad?: boolean
}

function replace(name: string, options: RegisterWasmGradientOptions): boolean {
  const current = tf.getKernel(name, BACKEND)
  if (current == null || installed.has(current.kernelFunc)) return false
  const replacement = REPLACEMENTS[name]!(current, options)
  stockConfigs.set(name, current)
  tf.unregisterKernel(name, BACKEND)
  installed.add(replacement.kernelFunc)
  tf.registerKernel(replacement)
  return true
}

/**
 * Registers the composed kernels for the 'wasm' backend: each missing gradient kernel, the correct
 * MaxPoolGrad (unless `replaceMaxPoolGrad: false`), the faster Conv2DBackpropInput (unless
 * `replaceConv2DBackpropInput: false`), the transposed-operand BatchMatMul (unless `replaceTransposedMatMul: false`), the copy-free Identity (unless
 * `replaceIdentity: false`) and, when asked, the faster Tile/Sum/Mean. Idempotent: returns the names of the kernels this call registered (a repeat call returns []).
 */
export function registerWasmGradientKernels(options: RegisterWasmGradientOptions = {}): string[] {
  const registered: string[] = []
  const missing = MISSING_ON_WASM.map((c) => (c === filterGradient.batched && options.batchedConvFilterGradient === false ? filterGradient.im2colOnly : c))
  for (const config of missing) {
    if (tf.getKernel(config.kernelName, BACKEND) == null) {
      tf.registerKernel(config)
      registered.push(config.kernelName)
    }
  }
  const toReplace = [
    ...(options.replaceMaxPoolGrad !== false ? ['MaxPoolGrad'] : []),
    ...(options.replaceConv2DBackpropInput !== false ? ['Conv2DBackpropInput'] : []),
    ...(options.replaceTransposedMatMul !== false ? ['BatchMatMul'] : []),
    ...(options.replaceIdentity !== false ? ['Identity'] : []),
    ...(options.fastBroadcastAndReductions === true ? ['Tile', 'Sum', 'Mean'] : [])
  ]
  for (const name of toReplace) if (replace(name, options)) registered.push(name)
  return registered
}

/**
 * Undoes registerWasmGradientKernels: unregisters the kernels it installed and puts the stock ones back.
 * Returns the names unregistered. Meant for benchmarks and tests.
 */
export function unregisterWasmGradientKernels(): string[] {
  const removed: string[] = []
  for (const name of [...MISSING_ON_WASM.map((c) => c.kernelName), ...Object.keys(REPLACEMENTS)]) {
    const current = tf.getKernel(name, BACKEND)
    if (current == null || !installed.has(current.kernelFunc)) continue
    tf.unregisterKernel(name, BACKEND)
    const stock = stockConfigs.get(name)
    if (stock != null) {
      tf.registerKernel(stock)
      stockConfigs.delete(name)
    }
    removed.push(name)
  }
  return removed
}

/** Names of the kernels this module can register: the missing gradients first, then the replaceable ones. */
export const WASM_GRADIENT_KERNEL_NAMES: readonly string[] = [
  ...MISSING_ON_WASM.map((c) => c.kernelName),
  ...Object.keys(REPLACEMENTS)
]
