import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import type { BackendName } from '../contract/types'
import { AppError } from '../core/errors'
import { BACKEND_ORDER, BACKENDS } from './backends'
import { registerWasmGradientKernels } from './kernels/register-wasm-gradients'
import { withoutAddedProcessHandlers } from './kernels/wasm-process-handlers'

export interface ActiveBackend {
  name: BackendName
  label: string
}

const requireHere = createRequire(import.meta.url)
let active: ActiveBackend | null = null

/**
 * Loads and activates a training backend in this thread (each worker has its own). Native
 * TensorFlow is optional (its install needs a download); wasm and cpu always ship.
 */
export async function activateBackend(forced?: BackendName): Promise<ActiveBackend> {
  if (active && (!forced || forced === active.name)) return active
  const candidates = forced ? [forced] : BACKEND_ORDER
  const failures: string[] = []
  for (const name of candidates) {
    try {
      await load(name)
      active = { name, label: BACKENDS.find((backend) => backend.name === name)!.label }
      return active
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`)
    }
  }
  throw new AppError('UNSUPPORTED', `no training backend could be loaded (${failures.join('; ')})`)
}

async function load(name: BackendName): Promise<void> {
  if (name === 'tensorflow' || name === 'tensorflow-gpu') {
    // A computed specifier keeps the bundler from resolving an optional package at build time.
    const specifier = BACKENDS.find((backend) => backend.name === name)!.packageName
    await import(/* @vite-ignore */ specifier)
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not start')
    return
  }
  if (name === 'wasm') {
    const dist = join(dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')
    setWasmPaths(`${dist}/`)
    // The wasm loader (Emscripten) installs process handlers that rethrow any unhandled rejection,
    // which would kill the app for an unrelated bug elsewhere: start it without them.
    const started = await withoutAddedProcessHandlers(() => tf.setBackend('wasm'))
    if (!started) throw new Error('the wasm backend did not start')
    // Composed gradient kernels the stock wasm backend lacks (or gets wrong), and faster broadcast
    // and reductions for batch norm (nearly 2x on models with batch norm).
    registerWasmGradientKernels({ fastBroadcastAndReductions: true })
    return
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start')
}
