import type { IssueDecision, LabelIssue, LabelIssueReport } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { JobTracker } from './job-tracker.svelte'

/**
 * Suspected label errors (confident learning): the scan as a job, the ranked list, and a verdict
 * per image. Verdicts are stored by main, so they survive a reload; decided ones can be hidden.
 */
export class ReviewIssuesState {
  readonly job: JobTracker
  #report = $state.raw<LabelIssueReport | null>(null)
  #loaded = $state(false)
  #error = $state<string | null>(null)
  #cursor = $state(0)
  hideDecided = $state(false)

  constructor(private readonly api: Client) {
    this.job = new JobTracker(api, 'label-issues', (job) => {
      if (job.state === 'done') void this.refresh()
    })
  }

  get report() {
    return this.#report
  }
  get loaded() {
    return this.#loaded
  }
  /** The scan's failure (e.g. no base model) or a failed call. */
  get error(): string | null {
    return this.job.failure ?? this.#error
  }
  /** What the list shows, in the report's order (most suspicious first). */
  get visible(): LabelIssue[] {
    const issues = this.#report?.issues ?? []
    return this.hideDecided ? issues.filter((issue) => issue.decision === 'pending') : issues
  }
  get pending(): number {
    return (this.#report?.issues ?? []).filter((issue) => issue.decision === 'pending').length
  }
  get cursor() {
    return Math.min(this.#cursor, Math.max(0, this.visible.length - 1))
  }
  get current(): LabelIssue | undefined {
    return this.visible[this.cursor]
  }

  async refresh(): Promise<void> {
    try {
      this.#report = await this.api.call('review.labelIssues', {})
      this.#error = null
    } catch (error) {
      this.#error = messageOf(error)
    } finally {
      this.#loaded = true
    }
  }

  async find(folds = 5): Promise<void> {
    this.#error = null
    this.job.clear()
    try {
      const { jobId } = await this.api.call('review.findLabelIssues', { folds })
      this.job.follow(jobId)
    } catch (error) {
      this.#error = messageOf(error)
    }
  }

  moveTo(index: number): void {
    this.#cursor = Math.max(0, Math.min(this.visible.length - 1, index))
  }

  move(delta: number): void {
    this.moveTo(this.cursor + delta)
  }

  /**
   * Accept (relabel to the suggestion, undoable) or reject (keep the label). The cursor moves on
   * to the next issue, as it does while labeling.
   */
  async decide(imageId: number, decision: 'accept' | 'reject'): Promise<LabelIssue | null> {
    const hidden = this.hideDecided
    try {
      const updated = await this.api.call('review.decideIssue', { imageId, decision })
      this.#replace(updated)
      this.#error = null
      // A hidden verdict leaves the list, which already brings the next issue under the cursor.
      if (!hidden) this.move(1)
      return updated
    } catch (error) {
      this.#error = messageOf(error)
      return null
    }
  }

  #replace(updated: LabelIssue): void {
    const report = this.#report
    if (!report) return
    this.#report = { ...report, issues: report.issues.map((issue) => (issue.imageId === updated.imageId ? updated : issue)) }
  }
}

export const VERDICT: Record<IssueDecision, string> = { pending: 'pending', accepted: 'accepted', rejected: 'kept' }

function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error)
}
