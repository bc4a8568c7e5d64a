import type { LabelImportAnswer, MatchBy } from '@contract/label-import'
import { ApiError } from '../api/client'
import type { AppState } from './app-state.svelte'

/** How rows find their images: as the file suggests (sha256 when it has that column), or one column. */
export type MatchChoice = 'auto' | MatchBy

/**
 * The Library's "Import labels from a CSV…" card (issue 15): a file and how to match it, a check
 * (a dry run) that says what applying would do, then Apply — one undo step, whose change moves this
 * window's counts as any label change does — and Undo while the import is still the latest change.
 */
export class LabelImportState {
  file = $state('')
  by = $state<MatchChoice>('auto')
  #busy = $state(false)
  #error = $state<string | null>(null)
  /** The last dry run, with what it was asked (a change of file or match makes it stale). */
  #checked = $state.raw<{ answer: LabelImportAnswer; file: string; by: MatchChoice } | null>(null)
  #applied = $state.raw<LabelImportAnswer | null>(null)
  #undone = $state(false)

  constructor(private readonly app: AppState) {}

  get busy() {
    return this.#busy
  }
  get error() {
    return this.#error
  }
  /** The dry run's report while it still describes the chosen file and match. */
  get report(): LabelImportAnswer | null {
    const checked = this.#checked
    return checked && checked.file === this.file.trim() && checked.by === this.by ? checked.answer : null
  }
  get applied() {
    return this.#applied
  }
  get undone() {
    return this.#undone
  }
  get canCheck(): boolean {
    return !this.#busy && this.file.trim() !== ''
  }
  /** Images the checked file would label or relabel. */
  get wouldChange(): number {
    const report = this.report
    return report ? report.images.labeled + report.images.changed : 0
  }
  get canApply(): boolean {
    return !this.#busy && this.wouldChange > 0 && !this.app.project?.readOnly
  }

  /** The dry run: what the file would do, nothing written. */
  async check(): Promise<void> {
    if (!this.canCheck) return
    const file = this.file.trim()
    const by = this.by
    await this.#run(async () => {
      this.#applied = null
      const answer = await this.app.api.call('labels.importCsv', { file, ...(by === 'auto' ? {} : { by }), dryRun: true })
      this.#checked = { answer, file, by }
    })
  }

  async apply(): Promise<void> {
    const report = this.report
    if (!this.canApply || !report) return
    await this.#run(async () => {
      // The match the check used, so what is applied is what was reported.
      const answer = await this.app.api.call('labels.importCsv', { file: report.file, by: report.by, dryRun: false })
      this.app.labelChanges.apply(answer.change)
      this.#applied = answer
      this.#undone = false
      this.#checked = null
    })
  }

  /** Ctrl+Z for the import, here: only while it is still what Undo would take back. */
  async undo(): Promise<void> {
    const applied = this.#applied
    if (!applied?.undo || this.#busy) return
    await this.#run(async () => {
      const history = await this.app.api.call('labels.history', {})
      if (history.undo !== applied.undo) {
        throw new Error(`Undo would now take back “${history.undo ?? 'nothing'}”, a later change; undo from the Label view instead`)
      }
      this.app.labelChanges.apply(await this.app.api.call('labels.undo', {}))
      this.#undone = true
    })
  }

  async #run(action: () => Promise<void>): Promise<void> {
    this.#busy = true
    this.#error = null
    try {
      await action()
    } catch (error) {
      this.#error = error instanceof ApiError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)
    } finally {
      this.#busy = false
    }
  }
}
