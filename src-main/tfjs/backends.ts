// The TF.js backends Pictor can train and infer on, and which of them are installed. Kept apart
// from backend.ts (which loads them) so the main process can ask without loading TF.js at all.
import { createRequire } from 'node:module'
import type { BackendName, BackendReport } from '../contract/types'

/**
 * The engine's preference order — native CUDA, native CPU, WebAssembly, plain JavaScript — with the
 * package each needs. Native TensorFlow is optional (its install downloads libtensorflow); wasm and
 * cpu are regular dependencies, so cpu is the floor.
 */
export const BACKENDS: readonly { name: BackendName; packageName: string; label: string }[] = [
  { name: 'tensorflow-gpu', packageName: '@tensorflow/tfjs-node-gpu', label: 'TensorFlow (CUDA)' },
  { name: 'tensorflow', packageName: '@tensorflow/tfjs-node', label: 'TensorFlow (native CPU)' },
  { name: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', label: 'WebAssembly (SIMD)' },
  { name: 'cpu', packageName: '@tensorflow/tfjs-backend-cpu', label: 'JavaScript CPU' }
]

/** The engine's preference order; the first one that loads wins unless one is forced. */
export const BACKEND_ORDER: readonly BackendName[] = BACKENDS.map((backend) => backend.name)

const resolver = createRequire(import.meta.url)

/**
 * Which backends are installed, found by resolving their packages without loading them (loading
 * libtensorflow takes seconds and must not slow start-up). cpu is reported as selected even if its
 * package vanished, so the status bar always says something.
 */
export function probeBackends(resolvePackage: (name: string) => boolean = isResolvable): BackendReport {
  const candidates = BACKENDS.map(({ name, packageName }) => ({ name, packageName, installed: resolvePackage(packageName) }))
  const best = BACKENDS.find((backend) => candidates.find((c) => c.name === backend.name)?.installed) ?? BACKENDS.at(-1)!
  return { selected: best.name, label: best.label, candidates }
}

function isResolvable(packageName: string): boolean {
  try {
    resolver.resolve(`${packageName}/package.json`)
    return true
  } catch {
    return false
  }
}
