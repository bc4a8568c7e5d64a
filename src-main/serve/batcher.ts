// Dynamic batching: concurrent requests' preprocessed images wait in one queue and go to the model
// together, up to `maxBatch` at a time, once the batch is full or the oldest has waited `delayMs`.
// One model call at a time (ONNX Runtime already spreads one call over every core); images that
// arrive during a call go in the next one. The queue is bounded: when it is full a request is
// refused at once (503 with Retry-After) instead of waiting without end.
import { HttpError } from './http-errors'
import type { ServeMetricsSink, ServeModel } from './serve-types'

export interface BatcherOptions {
  maxBatch: number
  delayMs: number
  /** Images that may wait; 8 × maxBatch by default. */
  maxQueue?: number
  metrics?: ServeMetricsSink | null
  /**
   * Inference requests that have arrived but not reached the queue yet (still being received or
   * decoded). When none are, nobody is worth waiting for: the batch goes now instead of after
   * delayMs, so a lone client pays no batching delay.
   */
  arriving?: () => number
  /** Every batch's answers (the drift monitor observes them). */
  onPredicted?: (probabilities: readonly Float32Array[], features: readonly Float32Array[] | null) => void
}

export interface ImageAnswer {
  probabilities: Float32Array
  features: Float32Array | null
}

interface Waiting {
  input: Float32Array
  resolve(answer: ImageAnswer): void
  reject(error: unknown): void
}

export class Batcher {
  private readonly queue: Waiting[] = []
  private running = false
  private timer: NodeJS.Timeout | null = null
  private readonly idle: (() => void)[] = []
  private active = 0
  readonly maxQueue: number
  /** Model calls made so far (tests check that concurrent requests shared calls). */
  calls = 0

  constructor(
    private readonly model: ServeModel,
    private readonly options: BatcherOptions
  ) {
    this.maxQueue = options.maxQueue ?? 8 * options.maxBatch
  }

  /** One request's images; all of them are queued or none (503 QUEUE_FULL). */
  submit(inputs: readonly Float32Array[]): Promise<ImageAnswer[]> {
    if (this.queue.length + inputs.length > this.maxQueue) {
      const retry = String(Math.max(1, Math.ceil((this.options.delayMs + 50) / 1000)))
      return Promise.reject(new HttpError(503, 'QUEUE_FULL', `the server is busy (${this.queue.length} images waiting); try again shortly`, { 'Retry-After': retry }))
    }
    const answers = inputs.map(
      (input) => new Promise<ImageAnswer>((resolve, reject) => this.queue.push({ input, resolve, reject }))
    )
    this.active++
    this.schedule()
    return Promise.all(answers).finally(() => this.active--)
  }

  /** Requests whose images are queued or being predicted. */
  get activeRequests(): number {
    return this.active
  }

  /** Resolves once nothing waits and no model call runs. */
  drained(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  get waiting(): number {
    return this.queue.length
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return
    const nobodyElse = this.options.arriving !== undefined && this.options.arriving() <= 0
    if (this.queue.length >= this.options.maxBatch || this.options.delayMs <= 0 || nobodyElse) {
      this.flushSoon()
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.options.delayMs)
    }
  }

  private flushSoon(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    setImmediate(() => this.flush())
  }

  private async flush(): Promise<void> {
    this.timer = null
    if (this.running || this.queue.length === 0) return
    this.running = true
    const batch = this.queue.splice(0, this.options.maxBatch)
    try {
      const started = performance.now()
      const result = await this.model.predict(batch.map((item) => item.input))
      this.calls++
      this.options.metrics?.duration('model', (performance.now() - started) / 1000)
      this.options.metrics?.batch(batch.length)
      batch.forEach((item, index) => item.resolve({ probabilities: result.probabilities[index]!, features: result.features?.[index] ?? null }))
      try {
        this.options.onPredicted?.(result.probabilities, result.features)
      } catch (error) {
        // Monitoring must never fail the answers it watches.
        console.error(`pictor serve: observing a batch failed: ${(error as Error).message}`)
      }
    } catch (error) {
      for (const item of batch) item.reject(error)
    } finally {
      this.running = false
      // Images that arrived during the call have waited long enough: the next call starts now.
      if (this.queue.length > 0) this.flushSoon()
      else for (const resolve of this.idle.splice(0)) resolve()
    }
  }
}
