// Optional faster Tile for the wasm backend (opt-in: registerWasmGradientKernels({ fastBroadcastAndReductions: true })).
//
// tfjs-core's batch-norm gradient broadcasts 1/√(var+ε) with tile([1,1,1,C] → [N,H,W,C]); the stock wasm
// Tile walks the output element by element and took 125 ms for [64,30,30,32] (a third of a whole training
// step of the seed CNN with batch norm). When a tile only repeats leading dimensions of size 1 — a
// broadcast — it equals an outer product ones[R,1] · x[1,C], which the wasm matMul does in ~5 ms.
// Every other tile (non-float32, or repeating a dimension whose size is not 1) goes to the stock kernel.
import * as tf from '@tensorflow/tfjs-core'
import type { KernelConfig, KernelFunc, NamedAttrMap } from '@tensorflow/tfjs-core'
import { asTensor } from './kernel-util'

/**
 * If tiling `shape` by `reps` only repeats leading size-1 dimensions (shape[i] = 1 for i < k, reps[i] = 1
 * for i ≥ k), returns k; otherwise null.
 */
export function broadcastSplit(shape: readonly number[], reps: readonly number[]): number | null {
  if (shape.length !== reps.length) return null
  let k = 0
  for (let i = 0; i < reps.length; i++) if (reps[i] !== 1) k = i + 1
  for (let i = 0; i < k; i++) if (shape[i] !== 1) return null
  return k
}

/** The replacement Tile kernel; `stock` is the kernel it replaces (used for every case it does not speed up). */
export function tileWasmConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x!
    const reps = ((args.attrs ?? {}) as NamedAttrMap).reps as number[]
    const k = broadcastSplit(x.shape, reps)
    const rows = reps.reduce((a, b) => a * b, 1)
    const cols = x.shape.reduce((a, b) => a * b, 1)
    if (x.dtype !== 'float32' || k == null || rows <= 1 || cols === 0) return stock.kernelFunc(args)
    return tf.tidy(() => {
      const outer = tf.matMul(tf.ones([rows, 1]), tf.reshape(asTensor(x), [1, cols]))
      return tf.reshape(outer, x.shape.map((d, i) => d * reps[i]!))
    })
  }
  return { ...stock, kernelFunc }
}
