// The messages between the data-parallel coordinator (parallel-stepper.ts) and each gradient worker
// (gradient-replica.ts, started through src-main/workers/gradient-worker.ts). Weights, shards and
// gradients travel as flat Float32Arrays whose buffers are transferred, never structured-cloned.
import type { BackendName } from '../../contract/types'

/** What a gradient worker starts with. */
export interface GradientWorkerData {
  /** The coordinator's model.toJSON(): the replica is built from it (its weights come with each step). */
  topology: string
  backend: BackendName
}

/** One shard of a global batch: contiguous rows, in the batch's layout. */
export interface Shard {
  size: number
  xs: Float32Array
  xsShape: [number, number, number, number]
  ys: Float32Array
  ysShape: [number, number]
  weights?: Float32Array
}

export type ToGradientWorker =
  /** Every model weight (model.weights order), concatenated, and the rows to compute gradients on. */
  | { type: 'step'; id: number; weights: Float32Array; shard: Shard }
  | { type: 'close' }

/** A shard's result: what the coordinator weights by `count` and averages. */
export interface ShardResult {
  /** Gradients of the shard's mean loss, trainable weights in model.trainableWeights order, concatenated. */
  gradients: Float32Array
  /** The shard's mean loss × its size. */
  lossSum: number
  correct: number
  count: number
  /** Non-trainable weights after the step (batch norm's moving statistics), concatenated; empty without any. */
  nonTrainable: Float32Array
}

export type FromGradientWorker =
  | { type: 'ready' }
  | ({ type: 'gradients'; id: number } & ShardResult)
  /** `name` keeps the error's class (RangeError …): out-of-memory detection reads it. */
  | { type: 'failed'; id: number | null; name: string; message: string }
