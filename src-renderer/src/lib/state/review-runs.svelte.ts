import type { ReviewRunChoice, RunSummary } from '@contract/types'
import type { Client } from '../api/client'
import { runsWithModel } from '../usable-runs'

/**
 * The runs Review can show (finished, with a model; newest first) and which one it opens: the one
 * main picks — last reviewed in this project, else the best scoring (issue 14: it was the newest,
 * however much worse) — else the newest.
 */
export class ReviewRuns {
  #list = $state.raw<RunSummary[]>([])
  #loaded = $state(false)
  /** The run Review opened on by itself, and why; shown until the user picks another. */
  #opened = $state.raw<ReviewRunChoice | null>(null)

  constructor(private readonly api: Client) {}

  get list() {
    return this.#list
  }
  get loaded() {
    return this.#loaded
  }

  find(runId: number | null): RunSummary | undefined {
    return this.#list.find((run) => run.id === runId)
  }

  /** Why `runId` is shown when the user did not choose it; null once they did. */
  openedBecause(runId: number | null): ReviewRunChoice['reason'] | null {
    return this.#opened !== null && this.#opened.runId === runId ? this.#opened.reason : null
  }

  /**
   * Re-reads the runs. Answers the run to show instead of `current` when that one is unset or gone
   * (null: there is none), or undefined to keep it. Throws what the calls throw (runs count as loaded).
   */
  async refresh(current: number | null): Promise<number | null | undefined> {
    const lost = () => current === null || !this.find(current)
    try {
      const [all, opened] = await Promise.all([this.api.call('runs.list', {}), lost() ? this.api.call('review.openRun', {}) : null])
      this.#list = runsWithModel(all)
      if (!lost()) return undefined
      this.#opened = opened && this.find(opened.runId) ? opened : null
      return this.#opened?.runId ?? this.#list[0]?.id ?? null
    } finally {
      this.#loaded = true
    }
  }

  /** The user chose `runId`: Review opens on it next time. A read-only project cannot remember it; no matter. */
  remember(runId: number): void {
    this.#opened = null
    void this.api.call('review.rememberRun', { runId }).catch(() => {})
  }
}
