import type { ImageDetail, ImageQuery, LabelChange } from '@contract/types'
import type { Client } from '../api/client'
import { SelectableList } from './selectable-list.svelte'

const DETAIL_CHUNK = 200

/**
 * The labeling grid's model: the ids of every image in the current filter (cheap even at 100k),
 * details fetched only for what is on screen, a cursor, and a selection. Labels go through the
 * contract and are shown only once main has committed them.
 */
export class GridState extends SelectableList<number> {
  query = $state<ImageQuery>({ status: 'ok', sort: 'imported' })
  #details = new Map<number, ImageDetail>()
  /** Bumped whenever #details changes, so cells re-read it. */
  #version = $state(0)
  #inFlight = new Set<number>()
  #loading = $state(false)

  constructor(private readonly api: Client) {
    super((id) => id)
  }

  /** The image ids of the current filter, in order (the list's items). */
  get ids() {
    return this.items
  }
  get currentId(): number | undefined {
    return this.current
  }
  get loading() {
    return this.#loading
  }

  detail(id: number): ImageDetail | undefined {
    void this.#version
    return this.#details.get(id)
  }

  /** Re-runs the filter, keeping the cursor on the same image when it is still there. */
  async reload(): Promise<void> {
    const keep = this.currentId
    this.#loading = true
    try {
      const { ids } = await this.api.call('images.query', $state.snapshot(this.query))
      const index = keep === undefined ? -1 : ids.indexOf(keep)
      this.replace(ids, index >= 0 ? index : this.cursor)
    } finally {
      this.#loading = false
    }
  }

  /** Makes sure details for ids[start, end) are loaded (or loading). */
  ensureRange(start: number, end: number): void {
    const wanted = this.items.slice(Math.max(0, start), end).filter((id) => !this.#details.has(id) && !this.#inFlight.has(id))
    for (let index = 0; index < wanted.length; index += DETAIL_CHUNK) void this.#fetch(wanted.slice(index, index + DETAIL_CHUNK))
  }

  /**
   * Labels the selection (one undo entry) or, with nothing selected, the current image — then
   * advances to the next image of the filter, as a keyboard labeler expects.
   */
  async label(classId: number | null): Promise<LabelChange | null> {
    const bulk = this.selection.size > 0
    const targets = this.#targets()
    if (targets.length === 0) return null
    const change = await this.api.call('labels.assign', { imageIds: targets, classId })
    this.#advanceAfter(bulk, this.#applyLabels(new Map(targets.map((id) => [id, classId])), 'user'))
    return change
  }

  /**
   * Accepts the model's suggestion for the selection or the current image (one undo entry), then
   * moves on like a label key. Main decides which of them have a suggestion to accept.
   */
  async acceptSuggestions(): Promise<LabelChange | null> {
    const bulk = this.selection.size > 0
    const targets = this.#targets()
    if (targets.length === 0) return null
    const change = await this.api.call('suggestions.accept', { imageIds: targets })
    const accepted = new Map<number, number | null>()
    for (const id of change.imageIds) {
      const classId = this.#details.get(id)?.suggestion?.classId
      if (classId !== undefined) accepted.set(id, classId)
    }
    this.#advanceAfter(bulk, this.#applyLabels(accepted, 'model'))
    // Images whose details were never fetched (a select-all far off screen): main re-filters them.
    if (accepted.size < change.imageIds.length) await this.reload()
    return change
  }

  /** Re-reads every detail and the filter: after suggestions were (re)computed, say. */
  async refreshAll(): Promise<void> {
    this.#details.clear()
    this.#version++
    await this.reload()
  }

  /** After an undo/redo (or a change from elsewhere): refresh those images and the filter. */
  async refreshAfter(change: LabelChange | null): Promise<void> {
    if (!change) return
    for (const id of change.imageIds) this.#details.delete(id)
    this.#version++
    await this.reload()
  }

  /** The selection, or else the current image. */
  #targets(): number[] {
    if (this.selection.size > 0) return [...this.selection]
    return this.currentId === undefined ? [] : [this.currentId]
  }

  /** After a bulk change the selection is done with; after one image, go to the next. */
  #advanceAfter(bulk: boolean, leaving: boolean): void {
    if (bulk) this.clearSelection()
    else if (!leaving) this.move(1)
  }

  /**
   * Updates cached details (a suggestion stays cached but shows only while the image is
   * unlabeled, as main decides) and drops images that no longer match the filter; true if any left.
   */
  #applyLabels(classes: ReadonlyMap<number, number | null>, origin: 'user' | 'model'): boolean {
    for (const [id, classId] of classes) {
      const detail = this.#details.get(id)
      if (detail) this.#details.set(id, { ...detail, classId, labelOrigin: classId === null ? null : origin })
    }
    this.#version++
    const { label, suggested } = this.query
    const matches = (classId: number | null) =>
      (label === undefined || (label === 'labeled' ? classId !== null : label === 'unlabeled' ? classId === null : label === classId)) &&
      // A labeled image has no visible suggestion; an unlabeled one may (main knows, the next reload tells).
      (suggested !== true || classId === null)
    const gone = new Set([...classes].filter(([, classId]) => !matches(classId)).map(([id]) => id))
    if (gone.size === 0) return false
    this.remove(gone)
    return true
  }

  async #fetch(ids: number[]): Promise<void> {
    for (const id of ids) this.#inFlight.add(id)
    try {
      for (const detail of await this.api.call('images.get', { ids })) this.#details.set(detail.id, detail)
      this.#version++
    } finally {
      for (const id of ids) this.#inFlight.delete(id)
    }
  }
}
