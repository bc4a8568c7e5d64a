import type { LabelChange } from '@contract/types'
import type { Client } from '../api/client'

/** Change ids remembered to tell a change seen twice; far more than can be in flight at once. */
const REMEMBERED = 256

/**
 * Every label change this window learns of, handed to its listeners exactly once. A change made
 * here arrives twice — as the answer to the call and as the `labels.changed` event, in either
 * order — and one made elsewhere only as the event; whichever comes first is applied, the other
 * is recognised by its changeId and skipped. Counts are deltas, so applying one twice would drift.
 */
export class LabelChangeFeed {
  readonly #seen = new Set<string>()
  readonly #listeners = new Set<(change: LabelChange) => void>()

  constructor(api: Client) {
    api.on('labels.changed', (change) => this.apply(change))
  }

  /** Hands a change to every listener unless it was already handed out; answers it either way. */
  apply<T extends LabelChange | null>(change: T): T {
    if (!change || this.#seen.has(change.changeId)) return change
    this.#seen.add(change.changeId)
    if (this.#seen.size > REMEMBERED) this.#seen.delete(this.#seen.values().next().value!)
    for (const listener of this.#listeners) listener(change)
    return change
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (change: LabelChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
