// The messages between the feature-worker pool (feature-workers.ts) and each worker (feature-worker.ts),
// in a module of their own so neither half imports the other.
import type { BackendName } from '../../contract/types'
import type { FeatureSpec } from './feature-spec'

export interface FeatureWorkerData {
  modelJsonPath: string
  backend: BackendName
  spec: FeatureSpec
}

export interface FeatureItem {
  contentHash: string
  path: string
}

/** One file's answer: its features, or why it could not be decoded. */
export type FileResult = { contentHash: string; features: Float32Array; error?: undefined } | { contentHash: string; error: string }

export type ToFeatureWorker = { type: 'batch'; id: number; items: FeatureItem[] } | { type: 'close' }
export type FromFeatureWorker =
  | { type: 'ready'; version: string }
  | { type: 'batch'; id: number; results: FileResult[] }
  | { type: 'failed'; message: string }
