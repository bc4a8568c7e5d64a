import type { EvaluationSplit, LabelChange, ReviewItem } from '@contract/types'
import type { Client } from '../api/client'

/** Where a list of review images comes from: one confusion-matrix cell, or the top losses. */
export type ItemSource =
  | { kind: 'cell'; runId: number; split: EvaluationSplit; trueClassId: number; predictedClassId: number }
  | { kind: 'topLoss'; runId: number; split: EvaluationSplit }

/**
 * The images of a confusion cell or of the top losses, with a cursor and a selection, relabeled
 * in place. A relabeled image leaves the list at once (it no longer belongs to that cell, and it
 * is no longer "confidently wrong"); the cursor stays put, so it lands on the next image.
 */
export class ReviewItemsState {
  #source = $state.raw<ItemSource | null>(null)
  #items = $state.raw<ReviewItem[]>([])
  #cursor = $state(0)
  #selection = $state.raw<ReadonlySet<number>>(new Set())
  #loading = $state(false)
  #error = $state<string | null>(null)
  #anchor = 0
  /** Bumped by every local change: a reload that started before it answers with an older list. */
  #generation = 0

  constructor(private readonly api: Client) {}

  get source() {
    return this.#source
  }
  get items() {
    return this.#items
  }
  get cursor() {
    return this.#cursor
  }
  get current(): ReviewItem | undefined {
    return this.#items[this.#cursor]
  }
  get selection() {
    return this.#selection
  }
  get loading() {
    return this.#loading
  }
  get error() {
    return this.#error
  }

  async open(source: ItemSource): Promise<void> {
    this.#source = source
    this.#items = []
    this.#cursor = 0
    this.#anchor = 0
    this.#selection = new Set()
    await this.reload()
  }

  close(): void {
    this.#source = null
    this.#items = []
    this.#selection = new Set()
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
          : await this.api.call('review.topLoss', { runId: source.runId, split: source.split, limit: 500 })
      if (generation !== this.#generation || source !== this.#source) return
      this.#items = items
      this.#error = null
      this.#cursor = Math.max(0, Math.min(this.#cursor, items.length - 1))
      const present = new Set(items.map((item) => item.imageId))
      this.#selection = new Set([...this.#selection].filter((id) => present.has(id)))
    } catch (error) {
      if (generation === this.#generation) this.#error = error instanceof Error ? error.message : String(error)
    } finally {
      if (generation === this.#generation) this.#loading = false
    }
  }

  moveTo(index: number): void {
    if (this.#items.length === 0) return
    this.#cursor = Math.max(0, Math.min(this.#items.length - 1, index))
  }

  move(delta: number): void {
    this.moveTo(this.#cursor + delta)
  }

  /** Plain click selects nothing but moves the cursor; Ctrl/Cmd toggles; Shift adds a range. */
  click(index: number, modifiers: { toggle: boolean; range: boolean }): void {
    const item = this.#items[index]
    if (!item) return
    if (modifiers.range) {
      const [from, to] = [Math.min(this.#anchor, index), Math.max(this.#anchor, index)]
      this.#selection = new Set([...this.#selection, ...this.#items.slice(from, to + 1).map((entry) => entry.imageId)])
    } else if (modifiers.toggle) {
      const next = new Set(this.#selection)
      if (next.has(item.imageId)) next.delete(item.imageId)
      else next.add(item.imageId)
      this.#selection = next
      this.#anchor = index
    } else {
      this.#selection = new Set()
      this.#anchor = index
    }
    this.#cursor = index
  }

  selectAll(): void {
    this.#selection = new Set(this.#items.map((item) => item.imageId))
  }

  clearSelection(): void {
    this.#selection = new Set()
  }

  /**
   * Labels the selection, or the image under the cursor, as `classId` (null: unlabel) in one
   * undoable step. Images that already carry that label are left alone.
   */
  async relabel(classId: number | null): Promise<LabelChange | null> {
    const bulk = this.#selection.size > 0
    const chosen = bulk ? this.#items.filter((item) => this.#selection.has(item.imageId)) : this.current ? [this.current] : []
    const targets = chosen.filter((item) => item.trueClassId !== classId).map((item) => item.imageId)
    if (targets.length === 0) {
      if (!bulk) this.move(1)
      return null
    }
    const change = await this.api.call('labels.assign', { imageIds: targets, classId })
    this.#generation++
    const gone = new Set(targets)
    const removedBeforeCursor = this.#items.slice(0, this.#cursor).filter((item) => gone.has(item.imageId)).length
    this.#items = this.#items.filter((item) => !gone.has(item.imageId))
    this.#cursor = Math.max(0, Math.min(this.#cursor - removedBeforeCursor, this.#items.length - 1))
    this.#selection = new Set()
    return change
  }
}
