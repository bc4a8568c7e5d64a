import { BUNDLE_JOB, type BundleFormatChoice, type BundleResult } from '@contract/bundle'
import type { ErrorCode } from '@contract/envelope'
import { ApiError, type Client } from '../api/client'
import { JobTracker } from './job-tracker.svelte'

/** Hard links where the file system allows (copies elsewhere), or always copies. */
export type BundlePlacement = 'auto' | 'copy'

/** A failed call, kept with its code: the form says more for some (a missing base model). */
export interface BundleError {
  code: ErrorCode | null
  message: string
}

/**
 * The Export view's Cluster bundle tab: format, links or copies, where; the bundle being written
 * (a 'bundle' job: progress and Cancel) and what it holds with the commands to run next.
 */
export class BundleState {
  format = $state<BundleFormatChoice>('auto')
  placement = $state<BundlePlacement>('auto')
  dir = $state('')
  #busy = $state(false)
  #error = $state.raw<BundleError | null>(null)
  #result = $state.raw<BundleResult | null>(null)
  /** Follows the job the call starts (the call answers only at its end), for progress and Cancel. */
  readonly job: JobTracker

  constructor(private readonly api: Client) {
    this.job = new JobTracker(api, BUNDLE_JOB, () => {})
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
  /** writeBundle answers NOT_FOUND naming the base model when MobileNetV2 is not installed. */
  get baseModelMissing(): boolean {
    return this.#error?.code === 'NOT_FOUND' && /base model/i.test(this.#error.message)
  }
  get result() {
    return this.#result
  }
  get canWrite(): boolean {
    return !this.busy && this.dir.trim() !== ''
  }

  async write(): Promise<void> {
    if (!this.canWrite) return
    this.#busy = true
    this.#error = null
    this.#result = null
    this.job.clear()
    try {
      this.#result = await this.api.call('bundle.write', { dir: this.dir.trim(), format: this.format, mode: this.placement })
    } catch (error) {
      this.#error = error instanceof ApiError ? { code: error.code, message: error.message } : { code: null, message: String(error) }
    } finally {
      this.#busy = false
    }
  }
}
