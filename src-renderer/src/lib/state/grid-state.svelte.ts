import type { ImageDetail, ImageQuery, LabelChange } from '@contract/types'
import type { Client } from '../api/client'

const DETAIL_CHUNK = 200

/**
 * The labeling grid's model: the ids of every image in the current filter (cheap even at 100k),
 * details fetched only for what is on screen, a cursor, and a selection. Labels go through the
 * contract and are shown only once main has committed them.
 */
export class GridState {
  query = $state<ImageQuery>({ status: 'ok', sort: 'imported' })
  #ids = $state.raw<number[]>([])
  #cursor = $state(0)
  #selection = $state.raw<ReadonlySet<number>>(new Set())
  #anchor = 0
  #details = new Map<number, ImageDetail>()
  /** Bumped whenever #details changes, so cells re-read it. */
  #version = $state(0)
  #inFlight = new Set<number>()
  #loading = $state(false)

  constructor(private readonly api: Client) {}

  get ids() {
    return this.#ids
  }
  get cursor() {
    return this.#cursor
  }
  get currentId(): number | undefined {
    return this.#ids[this.#cursor]
  }
  get selection() {
    return this.#selection
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
      this.#ids = ids
      const index = keep === undefined ? -1 : ids.indexOf(keep)
      this.#cursor = index >= 0 ? index : Math.min(this.#cursor, Math.max(0, ids.length - 1))
      const present = new Set(ids)
      this.#selection = new Set([...this.#selection].filter((id) => present.has(id)))
    } finally {
      this.#loading = false
    }
  }

  /** Makes sure details for ids[start, end) are loaded (or loading). */
  ensureRange(start: number, end: number): void {
    const wanted = this.#ids.slice(Math.max(0, start), end).filter((id) => !this.#details.has(id) && !this.#inFlight.has(id))
    for (let index = 0; index < wanted.length; index += DETAIL_CHUNK) void this.#fetch(wanted.slice(index, index + DETAIL_CHUNK))
  }

  moveTo(index: number): void {
    if (this.#ids.length === 0) return
    this.#cursor = Math.max(0, Math.min(this.#ids.length - 1, index))
  }

  move(delta: number): void {
    this.moveTo(this.#cursor + delta)
  }

  /** Click semantics of every file manager: plain, Ctrl/Cmd (toggle), Shift (range from the anchor). */
  click(index: number, modifiers: { toggle: boolean; range: boolean }): void {
    const id = this.#ids[index]
    if (id === undefined) return
    if (modifiers.range) {
      const [from, to] = [Math.min(this.#anchor, index), Math.max(this.#anchor, index)]
      this.#selection = new Set([...this.#selection, ...this.#ids.slice(from, to + 1)])
    } else if (modifiers.toggle) {
      const next = new Set(this.#selection)
      if (next.has(id)) next.delete(id)
      else next.add(id)
      this.#selection = next
      this.#anchor = index
    } else {
      this.#selection = new Set()
      this.#anchor = index
    }
    this.#cursor = index
  }

  selectAll(): void {
    this.#selection = new Set(this.#ids)
  }

  clearSelection(): void {
    this.#selection = new Set()
  }

  /**
   * Labels the selection (one undo entry) or, with nothing selected, the current image — then
   * advances to the next image of the filter, as a keyboard labeler expects.
   */
  async label(classId: number | null): Promise<LabelChange | null> {
    const bulk = this.#selection.size > 0
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
    const bulk = this.#selection.size > 0
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
    if (this.#selection.size > 0) return [...this.#selection]
    return this.currentId === undefined ? [] : [this.currentId]
  }

  /** After a bulk change the selection is done with; after one image, go to the next. */
  #advanceAfter(bulk: boolean, leaving: boolean): void {
    if (bulk) this.#selection = new Set()
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
    const before = this.#ids
    const removedBeforeCursor = before.slice(0, this.#cursor).filter((id) => gone.has(id)).length
    this.#ids = before.filter((id) => !gone.has(id))
    this.#cursor = Math.max(0, Math.min(this.#cursor - removedBeforeCursor, this.#ids.length - 1))
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
