// Which engine runs inference (feature extraction, predictions): ONNX Runtime when its optional
// native package loads, unless PICTOR_INFERENCE=tfjs forces TF.js (tests and benchmarks compare
// both). Kept apart from the engines themselves so the main process can ask without loading either.
import type { InferenceReport } from '../contract/types'
import { loadOnnxRuntime, probeOnnxRuntime } from './onnx-runtime'

const forcedTfjs = (env: NodeJS.ProcessEnv) => env.PICTOR_INFERENCE?.trim().toLowerCase() === 'tfjs'

/** True when inference should run on ONNX Runtime here. */
export async function onnxRuntimeChosen(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (forcedTfjs(env)) return false
  return (await loadOnnxRuntime()).ort !== null
}

/** What AppInfo reports; exact once loadOnnxRuntime() has settled. */
export function inferenceReport(env: NodeJS.ProcessEnv = process.env): InferenceReport {
  if (forcedTfjs(env)) return { engine: 'tfjs', label: 'TensorFlow.js (PICTOR_INFERENCE=tfjs)' }
  return probeOnnxRuntime()
}
