import * as tf from '@tensorflow/tfjs-core'
import { expect } from 'vitest'

// Our wasm kernels are checked against TF.js' cpu backend, the reference implementation of every
// kernel: the same computation on both, compared output by output.

/** ‖actual − expected‖ / ‖expected‖ (the absolute difference when expected is all zeros). */
export function relativeL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length)
  let diff = 0
  let norm = 0
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2
    norm += expected[i]! ** 2
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm)
}

/**
 * Runs `compute` on the cpu and then the wasm backend (left active afterwards); returns each output's
 * relative L2 difference. Shapes must agree.
 */
export async function compareBackends(compute: () => tf.Tensor[]): Promise<number[]> {
  const read = async (backend: 'cpu' | 'wasm') => {
    await tf.setBackend(backend)
    try {
      return tf.tidy(() => compute().map((t) => ({ shape: t.shape, values: Float32Array.from(t.dataSync()) })))
    } finally {
      await tf.setBackend('wasm')
    }
  }
  const cpu = await read('cpu')
  const wasm = await read('wasm')
  return cpu.map((expected, i) => {
    expect(wasm[i]!.shape).toEqual(expected.shape)
    return relativeL2(wasm[i]!.values, expected.values)
  })
}
