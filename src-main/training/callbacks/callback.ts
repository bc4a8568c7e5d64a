import type * as tfl from '@tensorflow/tfjs-layers'
import type { EpochMetrics } from '../../contract/types'

export interface BatchLogs {
  epoch: number
  batch: number
  batchesPerEpoch: number
  size: number
  loss: number
  accuracy: number
}

/** What callbacks may read and change while a run trains. */
export interface LoopState {
  readonly model: tfl.LayersModel
  /** Set by a callback (early stopping, cancel) to end training after the current batch. */
  stopTraining: boolean
  stopReason: string | null
}

/**
 * Small, composable hooks in the Keras mould: the UI adds progress, the CLI adds logging, and
 * early stopping, checkpoints and cancellation are each one callback with its own test.
 */
export interface TrainingCallback {
  onTrainBegin?(state: LoopState): void | Promise<void>
  onEpochBegin?(epoch: number, state: LoopState): void | Promise<void>
  onBatchEnd?(logs: BatchLogs, state: LoopState): void | Promise<void>
  onEpochEnd?(metrics: EpochMetrics, state: LoopState): void | Promise<void>
  onTrainEnd?(state: LoopState): void | Promise<void>
  /** Something the user should hear about at once, e.g. "out of memory: retrying with half the batch". */
  onNotice?(message: string): void
}
