import type * as tf from '@tensorflow/tfjs-core'
import type { EpochMetrics } from '../../contract/types'
import type { StoredCheckpoint } from '../../db/queries/run-models'
import { encodeNamed, modelWeights } from '../../tfjs/model-serialization'
import type { LoopState, TrainingCallback } from './callback'

/**
 * Saves model and optimizer weights (plus whatever state the caller adds, such as early stopping's
 * counters) after every finished epoch, so a run killed midway resumes at the next epoch with the
 * same Adam moments instead of starting over. Put it after the callbacks whose state it saves.
 */
export class Checkpoint implements TrainingCallback {
  constructor(
    private readonly optimizer: tf.Optimizer,
    private readonly save: (checkpoint: StoredCheckpoint) => void,
    private readonly extraState: () => unknown = () => null
  ) {}

  async onEpochEnd(metrics: EpochMetrics, state: LoopState): Promise<void> {
    const model = await encodeNamed(modelWeights(state.model))
    const optimizerWeights = await this.optimizer.getWeights()
    try {
      const optimizer = await encodeNamed(optimizerWeights)
      this.save({ epoch: metrics.epoch, model, optimizer, state: this.extraState() })
    } finally {
      // getWeights() makes a fresh step-count scalar each call; the moments are live variables.
      for (const entry of optimizerWeights) if (entry.name === 'iter') entry.tensor.dispose()
    }
  }
}
