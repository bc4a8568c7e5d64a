// BatchMatMul for the wasm backend with transposed operands. The stock kernel hands a product to XNNPACK
// only without transposes (and with batch 1); transposeA / transposeB fall back to a naive loop nest that
// is 5–100× slower. Every dense layer's backward pass asks for both (dW = xᵀ·dy, dx = dy·Wᵀ): in the seed
// CNN's training step they took 15 + 5 ms of ~200. Transposing the operand first (the wasm Transpose is a
// fast copy for rank ≤ 4) and multiplying without flags gives the same values at the cost of one copy.
// Products without transposes, non-float32 operands and rank > 4 go to the stock kernel unchanged.
import * as tf from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc, NamedAttrMap } from '@tensorflow/tfjs-core'
import { asTensor } from './kernel-util'

/** Swaps the last two axes (a matrix transpose of every batch entry). */
function swapLastTwo(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i)
  const r = perm.length
  ;[perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!]
  return tf.transpose(t, perm)
}

/** The replacement BatchMatMul; `stock` computes the flag-free products (and everything it does not handle). */
export function batchMatMulWasmConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs
    const { transposeA, transposeB } = (args.attrs ?? {}) as NamedAttrMap
    const handled = (transposeA === true || transposeB === true) && a!.dtype === 'float32' && b!.dtype === 'float32'
    if (!handled || a!.shape.length > 4 || b!.shape.length > 4) return stock.kernelFunc(args)
    return tf.tidy(() => {
      const left = transposeA === true ? swapLastTwo(asTensor(a!)) : asTensor(a!)
      const right = transposeB === true ? swapLastTwo(asTensor(b!)) : asTensor(b!)
      // Re-enters this kernel without flags, which passes it to the stock one.
      return tf.matMul(left, right)
    })
  }
  return { ...stock, kernelFunc }
}
