import type { ComparedRun, RunComparison } from '@contract/run-compare'
import type { Client } from '../api/client'
import { classRows, sortRows, type ClassMetric, type ClassRow, type ClassSort } from '../run-compare-rows'
import { JobTracker } from './job-tracker.svelte'

/** One colour per run, the same in every chart and table (up to eight runs are compared). */
export const RUN_COLORS = ['#5b9cff', '#f2994a', '#27ae60', '#eb5757', '#9b51e0', '#f2c94c', '#56ccf2', '#bb6bd9'] as const

/**
 * The Train view's comparison of the ticked runs: what runs.compare answers for them, which
 * settings rows show, the per-class table's metric and order, and evaluating a run that has no
 * evaluation yet (one at a time, as Review does), after which the comparison is read again.
 */
export class RunCompareState {
  showAllSettings = $state(false)
  metric = $state<ClassMetric>('f1')
  sort = $state<ClassSort>({ by: 'class' })
  readonly evaluateJob: JobTracker
  #comparison = $state.raw<RunComparison | null>(null)
  #error = $state<string | null>(null)
  /** The run the Evaluate button last started, for its progress line. */
  #evaluating = $state<number | null>(null)
  #runIds: readonly number[] = []
  #ticket = 0

  constructor(private readonly api: Client) {
    this.evaluateJob = new JobTracker(api, 'evaluate', () => void this.#evaluated())
    void this.evaluateJob.adopt()
  }

  /** The last comparison read; kept while a newer one loads, so the view does not jump. */
  get comparison() {
    return this.#comparison
  }
  get runs(): ComparedRun[] {
    return this.#comparison?.runs ?? []
  }
  get error(): string | null {
    return this.evaluateJob.failure ?? this.#error
  }
  /** The run being evaluated from here, until the comparison that has its figures is read. */
  get evaluating() {
    return this.#evaluating
  }
  /** The setting keys the table lists: those that differ, or every one. */
  get settingKeys(): string[] {
    const comparison = this.#comparison
    if (!comparison) return []
    return this.showAllSettings ? comparison.settingKeys : comparison.differingSettings
  }
  get classRows(): ClassRow[] {
    return sortRows(classRows(this.runs, this.metric), this.sort)
  }

  colorOf(runId: number): string {
    const index = Math.max(0, this.runs.findIndex((run) => run.id === runId))
    return RUN_COLORS[index % RUN_COLORS.length]!
  }

  /** Compares `runIds` (the first is the baseline); fewer than two clears the comparison. */
  async load(runIds: readonly number[]): Promise<void> {
    if (runIds.join() !== this.#runIds.join()) this.sort = { by: 'class' }
    this.#runIds = [...runIds]
    await this.reload()
  }

  async reload(): Promise<void> {
    const ticket = ++this.#ticket
    const runIds = this.#runIds
    if (runIds.length < 2) {
      this.#comparison = null
      return
    }
    try {
      const comparison = await this.api.call('runs.compare', { runIds: [...runIds] })
      if (ticket !== this.#ticket) return
      this.#comparison = comparison
      this.#error = null
    } catch (error) {
      if (ticket === this.#ticket) this.#error = error instanceof Error ? error.message : String(error)
    }
  }

  /** Orders the per-class rows by run `runIndex`'s delta: largest gain first, then largest loss first, then class order. */
  sortByDelta(runIndex: number): void {
    const sort = this.sort
    if (sort.by === 'delta' && sort.runIndex === runIndex) this.sort = sort.descending ? { ...sort, descending: false } : { by: 'class' }
    else this.sort = { by: 'delta', runIndex, descending: true }
  }

  async evaluate(runId: number): Promise<void> {
    this.#error = null
    this.evaluateJob.clear()
    try {
      const { jobId } = await this.api.call('review.evaluate', { runId })
      this.#evaluating = runId
      this.evaluateJob.follow(jobId)
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error)
    }
  }

  async #evaluated(): Promise<void> {
    await this.reload()
    this.#evaluating = null
  }

  dispose(): void {
    this.evaluateJob.dispose()
  }
}
