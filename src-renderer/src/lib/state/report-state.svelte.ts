import { REPORT_JOB, reportUrl, type ReportFile, type ReportResult } from '@contract/report'
import type { JobProgress } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { JobTracker } from './job-tracker.svelte'

/**
 * A run's report (issue 17) for the panel under a run: whether the run's own report exists, the
 * 'report' job writing one (which evaluates the run first when it has not been), and what was
 * written last, where. One run at a time: choosing another forgets the first one's answers.
 */
export class ReportState {
  readonly job: JobTracker
  #runId = $state<number | null>(null)
  #file = $state.raw<ReportFile | null>(null)
  #written = $state.raw<ReportResult | null>(null)
  #error = $state<string | null>(null)
  /** Set when a Save as target exists: the panel offers to replace it. */
  #exists = $state<string | null>(null)

  constructor(private readonly api: Client) {
    this.job = new JobTracker(api, REPORT_JOB, (job) => this.#ended(job))
    void this.job.adopt()
  }

  dispose(): void {
    this.job.dispose()
  }

  get runId() {
    return this.#runId
  }
  /** The run's own report in its log folder (null until known). */
  get file() {
    return this.#file
  }
  /** What the last job this panel saw end wrote, for the run shown. */
  get written() {
    return this.#written
  }
  get error(): string | null {
    return this.job.failure ?? this.#error
  }
  /** A Save as path that is already taken, until the user replaces it or picks another. */
  get existing() {
    return this.#exists
  }
  get running(): boolean {
    return this.job.running
  }
  /** The page the report opens at, once the run has one. */
  get url(): string | null {
    return this.#runId !== null && this.#file?.exists ? reportUrl(this.#runId) : null
  }

  /** Shows the panel for a run (or hides it with null). */
  async show(runId: number | null): Promise<void> {
    if (runId !== this.#runId) {
      this.#file = null
      this.#written = null
      this.#error = null
      this.#exists = null
      if (!this.running) this.job.clear()
    }
    this.#runId = runId
    await this.#load()
  }

  /** Writes the run's report: into its log folder, or to `path` (Save as). */
  async create(path?: string, overwrite = false): Promise<void> {
    const runId = this.#runId
    if (runId === null || this.running) return
    this.#error = null
    this.#exists = null
    this.job.clear()
    try {
      const { jobId } = await this.api.call('report.create', { runId, overwrite, ...(path ? { path } : {}) })
      this.job.follow(jobId)
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ALREADY_EXISTS' && path) this.#exists = path
      this.#error = error instanceof Error ? error.message : String(error)
    }
  }

  async #load(): Promise<void> {
    const runId = this.#runId
    if (runId === null) return
    try {
      const file = await this.api.call('report.status', { runId })
      if (runId === this.#runId) this.#file = file
    } catch (error) {
      if (runId === this.#runId) this.#error = error instanceof Error ? error.message : String(error)
    }
  }

  #ended(job: JobProgress): void {
    const result = job.result?.kind === 'report' ? job.result.report : null
    if (job.state === 'done' && result && result.runId === this.#runId) this.#written = result
    void this.#load()
  }
}
