import type { ImportRunSummary, JobProgress } from '@contract/types'
import { ApiError, type Client } from '../api/client'

/** The folder import as the Library view sees it: the running job, and the last run's report. */
export class ImportState {
  #job = $state.raw<JobProgress | null>(null)
  #lastRun = $state.raw<ImportRunSummary | null>(null)
  #error = $state<string | null>(null)

  constructor(private readonly api: Client) {
    api.on('job.progress', (progress) => {
      if (progress.kind !== 'import') return
      this.#job = progress
      if (progress.state !== 'running') void this.refresh()
    })
  }

  get job() {
    return this.#job
  }
  get running() {
    return this.#job?.state === 'running'
  }
  get lastRun() {
    return this.#lastRun
  }
  get error() {
    return this.#error
  }

  /** Re-reads the last run (and any import already running, e.g. after a page reload). */
  async refresh(): Promise<void> {
    this.#lastRun = await this.api.call('import.lastRun', {}).catch(() => null)
    const jobs = await this.api.call('jobs.list', {}).catch(() => [])
    const running = jobs.find((job) => job.kind === 'import' && job.state === 'running')
    // Only adopt a job we know nothing newer about: this answer may predate a 'done' event.
    if (running && running.jobId !== this.#job?.jobId) this.#job = running
  }

  async start(folder: string): Promise<boolean> {
    this.#error = null
    try {
      await this.api.call('import.start', { folder })
      // A typed folder is remembered too: the next Browse… opens beside it.
      void this.api.call('files.remember', { purpose: 'import', path: folder }).catch(() => null)
      return true
    } catch (error) {
      this.#error = error instanceof ApiError ? error.message : String(error)
      return false
    }
  }

  async pickAndStart(): Promise<boolean> {
    const folder = await this.api.call('dialog.pickFolder', { purpose: 'import' }).catch(() => null)
    return folder ? this.start(folder) : false
  }

  async cancel(): Promise<void> {
    if (this.#job?.state === 'running') await this.api.call('jobs.cancel', { jobId: this.#job.jobId }).catch(() => {})
  }

  clear(): void {
    this.#job = null
    this.#lastRun = null
    this.#error = null
  }
}
