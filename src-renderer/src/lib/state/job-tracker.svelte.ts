import type { JobProgress } from '@contract/types'
import type { Client } from '../api/client'

/**
 * One kind of long job a view starts (Review: evaluate, label-issues, robustness, a retrain; Label:
 * suggest): its latest progress, whether it runs, cancel, and a callback when it ends. A job started
 * in another window (or before the view opened) is adopted from jobs.list, so progress never vanishes.
 */
export class JobTracker {
  #job = $state.raw<JobProgress | null>(null)
  /** The job whose end `onEnd` has been told of: it hears of each job's end once. */
  #endReported: string | null = null
  #unsubscribe: () => void

  constructor(
    private readonly api: Client,
    readonly kind: string,
    private readonly onEnd: (job: JobProgress) => void,
    /** False: show only jobs this view started (a retrain), not every job of the kind. */
    private readonly adoptOthers = true
  ) {
    this.#unsubscribe = api.on('job.progress', (progress) => this.#onProgress(progress))
  }

  get job() {
    return this.#job
  }
  get running(): boolean {
    return this.#job?.state === 'running'
  }
  /** The message of a job that failed, for an error line. */
  get failure(): string | null {
    return this.#job?.state === 'failed' ? this.#job.message : null
  }

  /** Follows a job this view just started (its first event may already have gone by). */
  follow(jobId: string): void {
    if (this.#job?.jobId === jobId) {
      // A quick job can end before the call that started it answers: its end was not ours yet.
      if (!this.running) this.#reportEnd(this.#job)
      return
    }
    this.#job = { jobId, kind: this.kind, state: 'running', done: 0, total: null, message: 'Starting…', ratePerSecond: null, etaSeconds: null }
  }

  /** Picks up a job of this kind that is already running. */
  async adopt(): Promise<void> {
    const jobs = await this.api.call('jobs.list', {}).catch(() => [])
    const running = jobs.find((job) => job.kind === this.kind && job.state === 'running')
    if (running && !this.running) this.#job = running
  }

  async cancel(): Promise<void> {
    if (this.#job?.state === 'running') await this.api.call('jobs.cancel', { jobId: this.#job.jobId }).catch(() => {})
  }

  /** Forgets a finished job, so its last message no longer shows. */
  clear(): void {
    if (!this.running) this.#job = null
  }

  dispose(): void {
    this.#unsubscribe()
  }

  #onProgress(progress: JobProgress): void {
    if (progress.kind !== this.kind) return
    if (!this.adoptOthers && progress.jobId !== this.#job?.jobId) return
    // Another job of this kind may be reported while ours runs (another window): stay on ours.
    if (this.running && progress.jobId !== this.#job!.jobId) return
    const wasRunning = this.running
    this.#job = progress
    if (wasRunning && progress.state !== 'running') this.#reportEnd(progress)
  }

  #reportEnd(job: JobProgress): void {
    if (this.#endReported === job.jobId) return
    this.#endReported = job.jobId
    this.onEnd(job)
  }
}
