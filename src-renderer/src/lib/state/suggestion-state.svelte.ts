import type { JobProgress, LabelChange, RunSummary, SuggestionSummary } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import type { AppState } from './app-state.svelte'
import { JobTracker } from './job-tracker.svelte'

/**
 * Model-assisted labeling in the Label view: which run suggests, the suggest job while it runs,
 * and how many suggestions an "Accept all ≥ N%" would label. Accepting itself goes through
 * LabelState, like every other label change.
 */
export class SuggestionState {
  #summary = $state.raw<SuggestionSummary | null>(null)
  #runs = $state.raw<RunSummary[]>([])
  /** The suggest job: one at a time, possibly started from another window. */
  readonly suggestJob: JobTracker
  #error = $state<string | null>(null)
  /** The run chosen in the picker; null = the newest finished one. */
  runId = $state<number | null>(null)
  /** "Accept all ≥ threshold %". */
  threshold = $state(90)
  readonly #api: Client
  #unsubscribe: (() => void)[]

  /** `oncomputed` runs when a suggest job ends: the grid must re-read its details. */
  constructor(
    app: AppState,
    private readonly oncomputed: () => void
  ) {
    const api = app.api
    this.#api = api
    this.suggestJob = new JobTracker(api, 'suggest', (job) => this.#onComputed(job))
    this.#unsubscribe = [
      () => this.suggestJob.dispose(),
      app.labelChanges.subscribe((change) => this.#apply(change)),
      api.on('library.changed', ({ reason }) => {
        if (reason === 'training' || reason === 'run deleted') void this.#refreshRuns()
      })
    ]
  }

  get summary() {
    return this.#summary
  }
  /** Runs that can suggest: finished, with a stored model; newest first. */
  get runs() {
    return this.#runs
  }
  get error() {
    return this.#error
  }
  /** What "Accept all ≥ threshold" would label. */
  get countAtThreshold(): number {
    return this.#summary?.atLeast[this.threshold] ?? 0
  }

  async start(): Promise<void> {
    await Promise.all([this.#refreshRuns(), this.refreshSummary()])
    await this.suggestJob.adopt()
  }

  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
  }

  async compute(): Promise<void> {
    this.#error = null
    try {
      const { jobId } = await this.#api.call('suggestions.compute', this.runId === null ? {} : { runId: this.runId })
      this.suggestJob.follow(jobId)
    } catch (error) {
      this.#error = error instanceof ApiError ? error.message : String(error)
    }
  }

  async refreshSummary(): Promise<void> {
    this.#summary = await this.#api.call('suggestions.summary', {}).catch(() => this.#summary)
  }

  /**
   * A label hides its image's suggestion and unlabeling shows it again: the change says at which
   * percent, so "Accept all ≥ N%" counts move without asking. When classes changed (a deleted class
   * hides its suggestions everywhere) the summary is read again.
   */
  #apply(change: LabelChange): void {
    const summary = this.#summary
    if (change.classes !== null) return void this.refreshSummary()
    if (!summary || change.counts.suggestions.length === 0) return
    const atLeast = [...summary.atLeast]
    let count = summary.count
    for (const { percent, delta } of change.counts.suggestions) {
      count += delta
      for (let n = 0; n <= percent; n++) atLeast[n]! += delta
    }
    this.#summary = { ...summary, count, atLeast }
  }

  async #refreshRuns(): Promise<void> {
    const runs = await this.#api.call('runs.list', {}).catch(() => null)
    if (runs) this.#runs = runs.filter((run) => run.status === 'done' && run.hasModel)
    if (this.runId !== null && !this.#runs.some((run) => run.id === this.runId)) this.runId = null
  }

  #onComputed(job: JobProgress): void {
    if (job.state === 'failed') this.#error = job.message
    void this.refreshSummary()
    this.oncomputed()
  }
}
