import { randomUUID } from 'node:crypto'
import type { JobProgress, JobResult, JobState } from '../contract/types'
import { notFound } from '../core/not-found'
import type { EventBus } from '../core/event-bus'
import type { JobContext, ProgressUpdate } from './job'

/** Progress events are rate-limited: a 100k-file import must not flood the renderer. */
const EMIT_INTERVAL_MS = 100
/** Finished jobs stay listed for a while so a page opened late still sees how they ended. */
const KEEP_FINISHED = 20

interface Tracked {
  progress: JobProgress
  controller: AbortController
  startedAt: number
  lastEmit: number
}

/**
 * Runs jobs, one context each, and turns their progress into `job.progress` events with rate and
 * ETA. Cancelling aborts the job's signal; the job decides how to stop cleanly.
 */
export class JobManager {
  readonly #jobs = new Map<string, Tracked>()

  constructor(private readonly events: EventBus) {}

  /**
   * Starts a job. `publish` turns what it returns (finished or cancelled midway) into the result its
   * last event carries, for a starter that follows the job by id from elsewhere (the CLI).
   */
  start<R>(
    kind: string,
    run: (context: JobContext) => Promise<R>,
    publish?: (result: R) => JobResult
  ): { jobId: string; done: Promise<R> } {
    const jobId = randomUUID()
    const controller = new AbortController()
    const tracked: Tracked = {
      progress: { jobId, kind, state: 'running', done: 0, total: null, message: 'Starting…', ratePerSecond: null, etaSeconds: null },
      controller,
      startedAt: Date.now(),
      lastEmit: 0
    }
    this.#jobs.set(jobId, tracked)
    this.#emit(tracked, true)
    const context: JobContext = { signal: controller.signal, onProgress: (update) => this.#update(tracked, update) }
    const done = run(context).then(
      (result) => {
        const state = controller.signal.aborted ? 'cancelled' : 'done'
        this.#finish(tracked, state, tracked.progress.message, publish?.(result))
        return result
      },
      (error: unknown) => {
        const cancelled = controller.signal.aborted
        this.#finish(tracked, cancelled ? 'cancelled' : 'failed', cancelled ? 'Cancelled' : messageOf(error))
        throw error
      }
    )
    return { jobId, done }
  }

  cancel(jobId: string): void {
    const tracked = this.#jobs.get(jobId)
    if (!tracked) throw notFound('job', jobId)
    tracked.controller.abort()
  }

  cancelAll(): void {
    for (const tracked of this.#jobs.values()) if (tracked.progress.state === 'running') tracked.controller.abort()
  }

  list(): JobProgress[] {
    return [...this.#jobs.values()].map((tracked) => tracked.progress)
  }

  isRunning(kind: string): boolean {
    return [...this.#jobs.values()].some((tracked) => tracked.progress.kind === kind && tracked.progress.state === 'running')
  }

  #update(tracked: Tracked, update: ProgressUpdate): void {
    if (tracked.progress.state !== 'running') return
    const elapsed = (Date.now() - tracked.startedAt) / 1000
    const rate = elapsed > 0.5 && update.done > 0 ? update.done / elapsed : null
    const { important: _important, ...fields } = update
    tracked.progress = {
      ...tracked.progress,
      ...fields,
      ratePerSecond: rate === null ? null : Math.round(rate * 10) / 10,
      etaSeconds: rate && update.total !== null ? Math.max(0, Math.round((update.total - update.done) / rate)) : null
    }
    this.#emit(tracked, update.important === true)
  }

  #finish(tracked: Tracked, state: JobState, message: string, result?: JobResult): void {
    tracked.progress = { ...tracked.progress, state, message, etaSeconds: null, ...(result ? { result } : {}) }
    this.#emit(tracked, true)
    const finished = [...this.#jobs.values()].filter((job) => job.progress.state !== 'running')
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.#jobs.delete(old.progress.jobId)
  }

  #emit(tracked: Tracked, force: boolean): void {
    const now = Date.now()
    if (!force && now - tracked.lastEmit < EMIT_INTERVAL_MS) return
    tracked.lastEmit = now
    this.events.emit('job.progress', tracked.progress)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
