import type { EvaluationSplit, LabelChange, ReviewItem } from '@contract/types'
import type { Client } from '../api/client'
import { SelectableList } from './selectable-list.svelte'

/** Where a list of review images comes from: one confusion-matrix cell, or the top losses. */
export type ItemSource =
  | { kind: 'cell'; runId: number; split: EvaluationSplit; trueClassId: number; predictedClassId: number }
  | { kind: 'topLoss'; runId: number; split: EvaluationSplit; mistakesOnly: boolean }

/**
 * The images of a confusion cell or of the top losses, with a cursor and a selection, relabeled
 * in place. A relabeled image leaves the list at once (it no longer belongs to that cell, and it
 * is no longer "confidently wrong"); the cursor stays put, so it lands on the next image.
 */
export class ReviewItemsState extends SelectableList<ReviewItem> {
  #source = $state.raw<ItemSource | null>(null)
  #loading = $state(false)
  #error = $state<string | null>(null)
  /** Bumped by every local change: a reload that started before it answers with an older list. */
  #generation = 0

  constructor(private readonly api: Client) {
    super((item) => item.imageId)
  }

  get source() {
    return this.#source
  }
  get loading() {
    return this.#loading
  }
  get error() {
    return this.#error
  }

  async open(source: ItemSource): Promise<void> {
    this.#source = source
    this.reset()
    await this.reload()
  }

  close(): void {
    this.#source = null
    this.reset()
    this.#generation++
  }

  /** Re-reads the list (after an undo, or labels changed elsewhere); the cursor keeps its place. */
  async reload(): Promise<void> {
    const source = this.#source
    if (!source) return
    const generation = ++this.#generation
    this.#loading = true
    try {
      const items =
        source.kind === 'cell'
          ? await this.api.call('review.cell', {
              runId: source.runId,
              split: source.split,
              trueClassId: source.trueClassId,
              predictedClassId: source.predictedClassId,
              limit: 5000
            })
          : await this.api.call('review.topLoss', { runId: source.runId, split: source.split, limit: 500, mistakesOnly: source.mistakesOnly })
      if (generation !== this.#generation || source !== this.#source) return
      this.replace(items)
      this.#error = null
    } catch (error) {
      if (generation === this.#generation) this.#error = error instanceof Error ? error.message : String(error)
    } finally {
      if (generation === this.#generation) this.#loading = false
    }
  }

  /**
   * Labels the selection, or the image under the cursor, as `classId` (null: unlabel) in one
   * undoable step. Images that already carry that label are left alone.
   */
  async relabel(classId: number | null): Promise<LabelChange | null> {
    const bulk = this.selection.size > 0
    const chosen = bulk ? this.items.filter((item) => this.selection.has(item.imageId)) : this.current ? [this.current] : []
    const targets = chosen.filter((item) => item.trueClassId !== classId).map((item) => item.imageId)
    if (targets.length === 0) {
      if (!bulk) this.move(1)
      return null
    }
    const change = await this.api.call('labels.assign', { imageIds: targets, classId })
    this.#generation++
    this.remove(new Set(targets))
    this.clearSelection()
    return change
  }
}
