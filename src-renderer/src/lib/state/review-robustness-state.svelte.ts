import type { RobustnessReport } from '@contract/types'
import type { Client } from '../api/client'
import { JobTracker } from './job-tracker.svelte'

/** Accuracy under small adversarial (FGSM) perturbations, for one run. */
export class ReviewRobustnessState {
  readonly job: JobTracker
  #report = $state.raw<RobustnessReport | null>(null)
  #runId: number | null = null
  #loaded = $state(false)
  #error = $state<string | null>(null)

  constructor(private readonly api: Client) {
    this.job = new JobTracker(api, 'robustness', (job) => {
      if (job.state === 'done') void this.load(this.#runId)
    })
  }

  get report() {
    return this.#report
  }
  get loaded() {
    return this.#loaded
  }
  get error(): string | null {
    return this.job.failure ?? this.#error
  }

  async load(runId: number | null): Promise<void> {
    if (runId !== this.#runId) this.#report = null
    this.#runId = runId
    if (runId === null) return
    try {
      const report = await this.api.call('review.robustness', { runId })
      if (runId !== this.#runId) return
      this.#report = report
      this.#error = null
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error)
    } finally {
      this.#loaded = true
    }
  }

  async check(count = 200): Promise<void> {
    if (this.#runId === null) return
    this.#error = null
    this.job.clear()
    try {
      const { jobId } = await this.api.call('review.checkRobustness', { runId: this.#runId, count })
      this.job.follow(jobId)
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error)
    }
  }
}
