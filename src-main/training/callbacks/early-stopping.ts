import * as tf from '@tensorflow/tfjs-core'
import type { EpochMetrics } from '../../contract/types'
import type { LoopState, TrainingCallback } from './callback'

export interface EarlyStoppingOptions {
  monitor?: 'valLoss' | 'valAccuracy'
  patience: number
  minDelta?: number
  /** tfjs has no restoreBestWeights: this keeps a copy of the best epoch's weights and puts them back. */
  restoreBestWeights?: boolean
}

/** Stops when the monitored metric has not improved for `patience` epochs. */
export class EarlyStopping implements TrainingCallback {
  #best: number | null = null
  #bestEpoch: number | null = null
  #wait = 0
  #bestWeights: tf.Tensor[] | null = null
  readonly #monitor: 'valLoss' | 'valAccuracy'

  constructor(private readonly options: EarlyStoppingOptions) {
    this.#monitor = options.monitor ?? 'valLoss'
  }

  get bestEpoch(): number | null {
    return this.#bestEpoch
  }

  /** For checkpoints: what must survive a restart to keep counting. */
  get state(): { best: number | null; bestEpoch: number | null; wait: number } {
    return { best: this.#best, bestEpoch: this.#bestEpoch, wait: this.#wait }
  }

  restore(state: { best: number | null; bestEpoch: number | null; wait: number }, model: LoopState['model']): void {
    this.#best = state.best
    this.#bestEpoch = state.bestEpoch
    this.#wait = state.wait
    // After a resume, the weights on hand are the best we can keep (the checkpoint's).
    if (this.options.restoreBestWeights) this.#keep(model)
  }

  onEpochEnd(metrics: EpochMetrics, state: LoopState): void {
    const value = metrics[this.#monitor]
    if (value === null || Number.isNaN(value)) return
    const delta = this.options.minDelta ?? 0
    const improved =
      this.#best === null || (this.#monitor === 'valLoss' ? value < this.#best - delta : value > this.#best + delta)
    if (improved) {
      this.#best = value
      this.#bestEpoch = metrics.epoch
      this.#wait = 0
      if (this.options.restoreBestWeights) this.#keep(state.model)
      return
    }
    this.#wait++
    if (this.#wait >= this.options.patience) {
      state.stopTraining = true
      state.stopReason = `no improvement in ${this.#monitor} for ${this.options.patience} epochs`
    }
  }

  onTrainEnd(state: LoopState): void {
    if (this.#bestWeights) {
      state.model.setWeights(this.#bestWeights)
      this.#dispose()
    }
  }

  #keep(model: LoopState['model']): void {
    this.#dispose()
    this.#bestWeights = model.getWeights().map((weight) => tf.keep(weight.clone()))
  }

  #dispose(): void {
    this.#bestWeights?.forEach((weight) => weight.dispose())
    this.#bestWeights = null
  }
}
