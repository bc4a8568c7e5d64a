import type { ImageDetail, ImageQuery, LabelChange } from '@contract/types'
import type { Client } from '../api/client'
import { SelectableList } from './selectable-list.svelte'

const DETAIL_CHUNK = 200

/** A label key between the keypress and main's answer: the images it acts on. */
export interface PendingLabel {
  targets: number[]
  /** The selection (cleared once done), not the one image under the cursor (which the key moved past). */
  bulk: boolean
}

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

  /**
   * Makes sure details for ids[start, end) are loaded (or loading). When some are missing it reads
   * as far again ahead: labeling on the Unlabeled filter drops one image per key, and each key would
   * otherwise pull in the next image's details with a call of its own.
   */
  ensureRange(start: number, end: number): void {
    const missing = (from: number, to: number) =>
      this.items.slice(Math.max(0, from), to).filter((id) => !this.#details.has(id) && !this.#inFlight.has(id))
    if (missing(start, end).length === 0) return
    const wanted = missing(start, end + Math.max(0, end - start))
    for (let index = 0; index < wanted.length; index += DETAIL_CHUNK) void this.#fetch(wanted.slice(index, index + DETAIL_CHUNK))
  }

  /**
   * The first half of a label key (or Enter): which images it acts on is decided now — the
   * selection, or else the image under the cursor — and for one image the cursor moves on at once,
   * so the next image is on screen in the key's own frame. Nothing shows the image as labeled
   * until main has committed it (`commitLabel`, `commitAccept`).
   */
  beginLabel(): PendingLabel | null {
    const bulk = this.selection.size > 0
    const targets = this.#targets()
    if (targets.length === 0) return null
    if (!bulk) this.move(1)
    return { targets, bulk }
  }

  /** Labels the key's images (one undo entry); the cell shows its label once main has answered. */
  async commitLabel(pending: PendingLabel, classId: number | null): Promise<LabelChange> {
    const change = await this.#settle(pending, () => this.api.call('labels.assign', { imageIds: pending.targets, classId }))
    this.#applyLabels(new Map(change.imageIds.map((id) => [id, classId])), 'user')
    return change
  }

  /** Accepts the model's suggestion for the key's images (one undo entry); main decides which have one. */
  async commitAccept(pending: PendingLabel): Promise<LabelChange> {
    const change = await this.#settle(pending, () => this.api.call('suggestions.accept', { imageIds: pending.targets }))
    const accepted = new Map<number, number | null>()
    for (const id of change.imageIds) {
      const classId = this.#details.get(id)?.suggestion?.classId
      if (classId !== undefined) accepted.set(id, classId)
    }
    this.#applyLabels(accepted, 'model')
    // Images whose details were never fetched (a select-all far off screen): main re-filters them.
    if (accepted.size < change.imageIds.length) await this.reload()
    return change
  }

  /** Puts the cursor on an image, if the filter still lists it. */
  moveToImage(id: number): void {
    const index = this.items.indexOf(id)
    if (index >= 0) this.moveTo(index)
  }

  /** Re-reads every detail and the filter: after suggestions were (re)computed, say. */
  async refreshAll(): Promise<void> {
    this.#details.clear()
    this.#version++
    await this.reload()
  }

  /** After an undo/redo (or a change from elsewhere): refresh those images and the filter. */
  async refreshAfter(change: { imageIds: readonly number[] } | null): Promise<void> {
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

  /**
   * Waits for main's answer to a key's change. A bulk change is then done with its selection; a
   * failed change for one image puts the cursor back on it, so the user sees which was not labeled.
   */
  async #settle<T>(pending: PendingLabel, call: () => Promise<T>): Promise<T> {
    try {
      const answer = await call()
      if (pending.bulk) this.clearSelection()
      return answer
    } catch (error) {
      if (!pending.bulk) this.moveToImage(pending.targets[0]!)
      throw error
    }
  }

  /**
   * Updates cached details (a suggestion stays cached but shows only while the image is
   * unlabeled, as main decides) and drops images that no longer match the filter; the cursor stays
   * on the image it is on.
   */
  #applyLabels(classes: ReadonlyMap<number, number | null>, origin: 'user' | 'model'): void {
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
    if (gone.size > 0) this.remove(gone)
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
