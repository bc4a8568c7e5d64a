// Every run writes TensorBoard event files while it trains (issue 17): the settings when it begins,
// each epoch's scalars (and weight histograms for small models) when the epoch ends, flushed at once
// so a killed run leaves a readable trail, and the final confusion matrix and worst mistakes after
// the last evaluation. Logs are a by-product: a folder that cannot be written stops the logs with a
// notice, never the training.
import type { EpochMetrics } from '../../contract/types'
import type { CollectedPredictions } from '../loop/train-loop'
import { imagesFromPredictions, RunLogWriters, type RunDescription } from '../run-logs'
import type { LoopState, TrainingCallback } from './callback'

/** Weight histograms cost a read of every weight each epoch: on by default up to this many parameters. */
export const HISTOGRAM_PARAMETER_LIMIT = 5_000_000

export interface TensorBoardLoggerOptions {
  /** The run's own folder (`<log root>/run-N`). */
  runDir: string
  run: RunDescription
  learningRate: number
  /** Weight histograms every epoch; null: only for models up to HISTOGRAM_PARAMETER_LIMIT trainable parameters. */
  histograms: boolean | null
  /** Tells the user (the run's notes and live notices) that logging stopped, and why. */
  notify(message: string): void
}

export class TensorBoardLogger implements TrainingCallback {
  #writers: RunLogWriters | null = null
  #stopped = false
  #histograms: boolean | null
  #learningRate: number

  constructor(private readonly options: TensorBoardLoggerOptions) {
    this.#histograms = options.histograms
    this.#learningRate = options.learningRate
  }

  /** The rate logged with each epoch from now on (a run's second stage trains with its own). */
  set learningRate(rate: number) {
    this.#learningRate = rate
  }

  /** Open writers, or null once logging has stopped. */
  get writers(): RunLogWriters | null {
    return this.#writers
  }

  onTrainBegin(state: LoopState): void {
    this.#attempt(() => {
      this.#writers ??= RunLogWriters.open(this.options.runDir)
      this.#writers.describe(this.options.run, 0)
      this.#histograms ??= trainableParameters(state) <= HISTOGRAM_PARAMETER_LIMIT
    })
  }

  onEpochEnd(metrics: EpochMetrics, state: LoopState): void {
    this.#attempt((writers) => {
      writers.epoch(metrics, this.#learningRate)
      if (this.#histograms) {
        const weights = state.model.trainableWeights.map((weight) => ({ name: weight.name, values: weight.read().dataSync() }))
        writers.histograms(weights, metrics.epoch)
      }
    })
  }

  /** The final evaluation's images, at the run's last epoch. */
  async finish(predictions: CollectedPredictions, pathOf: (imageId: number) => string | undefined, step: number): Promise<void> {
    const writers = this.#writers
    if (!writers || this.#stopped) return
    try {
      const images = imagesFromPredictions(this.options.run.classNames, predictions, pathOf, step)
      if (images) await writers.endOfRun(images)
    } catch (error) {
      this.#stop(error)
    }
  }

  close(): void {
    try {
      this.#writers?.close()
    } catch {
      // Closing after a failed write: the data is as flushed as it will get.
    }
    this.#writers = null
  }

  #attempt(write: (writers: RunLogWriters) => void): void {
    if (this.#stopped) return
    try {
      this.#writers ??= RunLogWriters.open(this.options.runDir)
      write(this.#writers)
    } catch (error) {
      this.#stop(error)
    }
  }

  #stop(error: unknown): void {
    this.#stopped = true
    this.close()
    const reason = error instanceof Error ? error.message : String(error)
    this.options.notify(`TensorBoard logs stopped (${reason}); training goes on`)
  }
}

function trainableParameters(state: LoopState): number {
  return state.model.trainableWeights.reduce((sum, weight) => sum + weight.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0)
}
