import type { EpochMetrics, TrainingProgress } from '../../contract/types'
import type { ProgressUpdate } from '../../jobs/job'
import type { BatchLogs, TrainingCallback } from './callback'

/** Turns batches and epochs into job progress (and so into live curves in the UI). */
export class ProgressReporter implements TrainingCallback {
  #imagesPerSecond: number | null = null
  #batchStarted = performance.now()
  #notice: string | null = null
  #batchesPerEpoch = 1

  constructor(
    private readonly runId: number,
    private readonly epochs: number,
    private readonly backend: string,
    private readonly report: (update: ProgressUpdate) => void
  ) {}

  /** Sent at once, and carried once more on the next update (e.g. "out of memory: batch size halved"). */
  onNotice(text: string): void {
    this.#notice = text
    this.report({ done: 0, total: null, message: text, important: true, detail: null })
  }

  onEpochBegin(): void {
    this.#batchStarted = performance.now()
  }

  onBatchEnd(logs: BatchLogs): void {
    const now = performance.now()
    const seconds = (now - this.#batchStarted) / 1000
    this.#batchStarted = now
    this.#batchesPerEpoch = logs.batchesPerEpoch
    if (seconds > 0) {
      const rate = logs.size / seconds
      // Smoothed, so the number on screen does not flicker with each batch.
      this.#imagesPerSecond = this.#imagesPerSecond === null ? rate : this.#imagesPerSecond * 0.8 + rate * 0.2
    }
    this.#send(logs.epoch, logs.batch + 1, logs.loss, logs.accuracy, null)
  }

  onEpochEnd(metrics: EpochMetrics): void {
    this.#send(metrics.epoch, null, metrics.loss, metrics.accuracy, metrics)
  }

  #send(epoch: number, batch: number | null, loss: number, accuracy: number, metrics: EpochMetrics | null): void {
    const perEpoch = this.#batchesPerEpoch
    const done = metrics ? (epoch + 1) * perEpoch : epoch * perEpoch + (batch ?? 0)
    const detail: TrainingProgress = {
      runId: this.runId,
      epoch,
      epochs: this.epochs,
      batch: batch ?? perEpoch,
      batchesPerEpoch: perEpoch,
      loss,
      accuracy,
      imagesPerSecond: this.#imagesPerSecond === null ? null : Math.round(this.#imagesPerSecond),
      epochMetrics: metrics,
      backend: this.backend,
      notice: this.#notice,
      phase: 'training',
      extracted: null
    }
    this.#notice = null
    const message = metrics
      ? `Epoch ${epoch + 1}/${this.epochs} done: loss ${loss.toFixed(3)}, accuracy ${(accuracy * 100).toFixed(1)}%` +
        (metrics.valAccuracy === null ? '' : `, validation ${(metrics.valAccuracy * 100).toFixed(1)}%`)
      : `Epoch ${epoch + 1}/${this.epochs} · batch ${batch}/${perEpoch} · loss ${loss.toFixed(3)}`
    this.report({ done, total: this.epochs * perEpoch, message, detail, important: metrics !== null })
  }
}

/**
 * The progress of a plug's preparation (MobileNetV2's feature extraction, `done` of `total` images)
 * as run `runId`'s progress in phase 'extracting', so that a view can say "extracting features
 * 340/960" on the run's row: until the loop starts the run has no other progress to show.
 */
export function extractionProgress(runId: number, epochs: number, update: ProgressUpdate): ProgressUpdate {
  const detail: TrainingProgress = {
    runId,
    epoch: 0,
    epochs,
    batch: 0,
    batchesPerEpoch: 0,
    loss: null,
    accuracy: null,
    imagesPerSecond: null,
    epochMetrics: null,
    backend: '',
    notice: null,
    phase: 'extracting',
    extracted: { done: update.done, total: update.total ?? update.done }
  }
  return { ...update, detail }
}
