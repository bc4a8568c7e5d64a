import { DATASET_EXPORT_JOB, DEFAULT_SHARD_MIB, type DatasetExportFormat, type DatasetExportSplit, type DatasetExportSummary } from '@contract/dataset'
import { ApiError, type Client } from '../api/client'
import { JobTracker } from './job-tracker.svelte'

/** Hard links where the file system allows (copies elsewhere), or always copies. */
export type DatasetPlacement = 'auto' | 'copy'

/**
 * The Export view's Dataset tab: format, split, what to include, where; the export in progress
 * (a 'dataset-export' job: progress and Cancel) and what it wrote.
 */
export class DatasetExportState {
  format = $state<DatasetExportFormat>('keras')
  split = $state<DatasetExportSplit>('all')
  placement = $state<DatasetPlacement>('auto')
  includeUnlabeled = $state(false)
  shardMib = $state(DEFAULT_SHARD_MIB)
  dir = $state('')
  #busy = $state(false)
  #error = $state<string | null>(null)
  #result = $state.raw<DatasetExportSummary | null>(null)
  /** Follows the job the call starts (the call answers only at its end), for progress and Cancel. */
  readonly job: JobTracker

  constructor(private readonly api: Client) {
    this.job = new JobTracker(api, DATASET_EXPORT_JOB, () => {})
  }

  dispose(): void {
    this.job.dispose()
  }

  get busy() {
    return this.#busy || this.job.running
  }
  get error() {
    return this.#error
  }
  get result() {
    return this.#result
  }
  get shardSizeValid(): boolean {
    return Number.isFinite(this.shardMib) && this.shardMib > 0
  }
  get canExport(): boolean {
    return !this.busy && this.dir.trim() !== '' && (this.format !== 'webdataset' || this.shardSizeValid)
  }

  async export(): Promise<void> {
    if (!this.canExport) return
    this.#busy = true
    this.#error = null
    this.#result = null
    this.job.clear()
    const webdataset = this.format === 'webdataset'
    try {
      this.#result = await this.api.call('dataset.export', {
        dir: this.dir.trim(),
        format: this.format,
        split: this.split,
        // The shards always hold copies of the images.
        mode: webdataset ? 'copy' : this.placement,
        includeUnlabeled: this.includeUnlabeled,
        ...(webdataset ? { shardMib: this.shardMib } : {})
      })
    } catch (error) {
      this.#error = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)
    } finally {
      this.#busy = false
    }
  }
}
