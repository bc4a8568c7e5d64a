import { createRequire } from 'node:module'
import type { BackendName, BackendReport } from '../contract/types'

// The training engine's preference order: native CUDA, native CPU, WebAssembly, plain JavaScript.
const CANDIDATES: { name: BackendName; packageName: string; label: string }[] = [
  { name: 'tensorflow-gpu', packageName: '@tensorflow/tfjs-node-gpu', label: 'TensorFlow (CUDA)' },
  { name: 'tensorflow', packageName: '@tensorflow/tfjs-node', label: 'TensorFlow (native CPU)' },
  { name: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', label: 'WebAssembly' },
  { name: 'cpu', packageName: '@tensorflow/tfjs-backend-cpu', label: 'JavaScript CPU' }
]

/**
 * Which training backends are installed, found by resolving their packages without loading them
 * (loading libtensorflow takes seconds and must not slow start-up). The wasm and cpu backends are
 * regular dependencies; the native ones are optional and usually absent offline. The cpu backend is
 * the floor: reported as selected even if its package vanished, so the status bar always says something.
 */
export function probeBackends(resolvePackage: (name: string) => boolean = isResolvable): BackendReport {
  const candidates = CANDIDATES.map(({ name, packageName }) => ({
    name,
    packageName,
    installed: resolvePackage(packageName)
  }))
  const best = CANDIDATES.find((candidate) => candidates.find((c) => c.name === candidate.name)?.installed) ?? CANDIDATES.at(-1)!
  return { selected: best.name, label: best.label, candidates }
}

const resolver = createRequire(import.meta.url)

function isResolvable(packageName: string): boolean {
  try {
    resolver.resolve(`${packageName}/package.json`)
    return true
  } catch {
    return false
  }
}
