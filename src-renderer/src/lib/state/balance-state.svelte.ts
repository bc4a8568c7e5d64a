import type { SplitPreview } from '@contract/splits'
import type { BalanceReport, SplitRatios } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { plural } from '../plural'

/**
 * The Balance view: the report, and "Assign splits" as preview → apply → (undo). The preview is what
 * apply writes, computed on the project as it is now; nothing moves until the user applies it.
 */
export class BalanceState {
  #report = $state.raw<BalanceReport | null>(null)
  #preview = $state.raw<SplitPreview | null>(null)
  #error = $state<string | null>(null)
  /** What the last apply or undo did, in a sentence. */
  #message = $state<string | null>(null)
  #busy = $state(false)
  #loads = 0

  constructor(private readonly api: Client) {}

  get report() {
    return this.#report
  }
  get preview() {
    return this.#preview
  }
  get error() {
    return this.#error
  }
  get message() {
    return this.#message
  }
  get busy() {
    return this.#busy
  }

  /** Reads the report again (after label changes and imports); only the newest answer lands. */
  async load(): Promise<void> {
    const ticket = ++this.#loads
    try {
      const report = await this.api.call('balance.report', {})
      if (ticket === this.#loads) this.#report = report
    } catch (error) {
      if (ticket === this.#loads) this.#error = describe(error)
    }
  }

  /** Shows what assigning `ratios` would move; writes nothing. */
  async showPreview(ratios: SplitRatios): Promise<void> {
    await this.#attempt(async () => {
      this.#message = null
      this.#preview = await this.api.call('splits.preview', ratios)
    })
  }

  cancelPreview(): void {
    this.#preview = null
  }

  async apply(): Promise<void> {
    const preview = this.#preview
    if (!preview) return
    await this.#attempt(async () => {
      this.#loads++
      this.#report = await this.api.call('splits.apply', preview.ratios)
      this.#preview = null
      this.#message = preview.changes === 0 ? 'Ratios saved; no image had to move.' : `Splits assigned: ${plural(preview.changes, 'image')} changed.`
    })
  }

  async undo(): Promise<void> {
    await this.#attempt(async () => {
      this.#loads++
      const outcome = await this.api.call('splits.undo', {})
      this.#report = outcome.report
      this.#preview = null
      this.#message =
        `Assignment undone: ${plural(outcome.restored, 'image')} back where ${outcome.restored === 1 ? 'it was' : 'they were'}` +
        (outcome.kept > 0 ? `; ${plural(outcome.kept, 'image')} you changed since kept ${outcome.kept === 1 ? 'its' : 'their'} new split.` : '.')
    })
  }

  async #attempt(action: () => Promise<void>): Promise<void> {
    this.#error = null
    this.#busy = true
    try {
      await action()
    } catch (error) {
      this.#error = describe(error)
    } finally {
      this.#busy = false
    }
  }
}

function describe(error: unknown): string {
  return error instanceof ApiError ? error.message : String(error)
}
