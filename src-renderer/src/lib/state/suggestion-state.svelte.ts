import type { JobProgress, RunSummary, SuggestionSummary } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { JobTracker } from './job-tracker.svelte'

/** The summary is re-read this long after the last label change, not on every key (see label-state). */
const SUMMARY_DELAY_MS = 400

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
  #summaryTimer: ReturnType<typeof setTimeout> | undefined
  #unsubscribe: (() => void)[]

  /** `oncomputed` runs when a suggest job ends: the grid must re-read its details. */
  constructor(
    private readonly api: Client,
    private readonly oncomputed: () => void
  ) {
    this.suggestJob = new JobTracker(api, 'suggest', (job) => this.#onComputed(job))
    this.#unsubscribe = [
      () => this.suggestJob.dispose(),
      api.on('labels.changed', () => this.#refreshSummarySoon()),
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
    clearTimeout(this.#summaryTimer)
  }

  async compute(): Promise<void> {
    this.#error = null
    try {
      const { jobId } = await this.api.call('suggestions.compute', this.runId === null ? {} : { runId: this.runId })
      this.suggestJob.follow(jobId)
    } catch (error) {
      this.#error = error instanceof ApiError ? error.message : String(error)
    }
  }

  async refreshSummary(): Promise<void> {
    this.#summary = await this.api.call('suggestions.summary', {}).catch(() => this.#summary)
  }

  #refreshSummarySoon(): void {
    clearTimeout(this.#summaryTimer)
    this.#summaryTimer = setTimeout(() => void this.refreshSummary(), SUMMARY_DELAY_MS)
  }

  async #refreshRuns(): Promise<void> {
    const runs = await this.api.call('runs.list', {}).catch(() => null)
    if (runs) this.#runs = runs.filter((run) => run.status === 'done' && run.hasModel)
    if (this.runId !== null && !this.#runs.some((run) => run.id === this.runId)) this.runId = null
  }

  #onComputed(job: JobProgress): void {
    if (job.state === 'failed') this.#error = job.message
    void this.refreshSummary()
    this.oncomputed()
  }
}
