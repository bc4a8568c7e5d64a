/**
 * An ordered list of images with a keyboard cursor and a multi-selection of image ids, as the
 * Label grid and the Review grids both show them; their states extend it and decide when the list
 * changes. Items are whatever the view lists (bare ids, review rows); `idOf` names each one's image.
 */
export class SelectableList<T> {
  /**
   * The list itself is not reactive: a label key drops one image from up to 100k, and copying the
   * array for that costs milliseconds per key. It is changed in place and `#version` tells readers.
   */
  #items: T[] = []
  #version = $state(0)
  #cursor = $state(0)
  #selection = $state.raw<ReadonlySet<number>>(new Set())
  /** Where a Shift+click range starts: the last plain or Ctrl/Cmd click. */
  #anchor = 0

  constructor(private readonly idOf: (item: T) => number) {}

  /** The list as it is now (read it again after a change: removal edits it in place). */
  get items(): readonly T[] {
    void this.#version
    return this.#items
  }
  get cursor() {
    return this.#cursor
  }
  get current(): T | undefined {
    return this.items[this.#cursor]
  }
  get selection() {
    return this.#selection
  }

  /** A new list from scratch (the array becomes the list's own): cursor at the top, nothing selected. */
  protected reset(items: T[] = []): void {
    this.#items = items
    this.#version++
    this.#cursor = 0
    this.#anchor = 0
    this.#selection = new Set()
  }

  /**
   * The list as re-read (the array becomes the list's own): the cursor goes to `cursor` (within
   * bounds), the selection keeps what is still listed.
   */
  protected replace(items: T[], cursor = this.#cursor): void {
    this.#items = items
    this.#version++
    this.#cursor = Math.max(0, Math.min(cursor, items.length - 1))
    // Nothing selected (the usual case) leaves the selection alone, so no cell re-renders for it.
    if (this.#selection.size === 0) return
    const present = new Set(items.map(this.idOf))
    this.#selection = new Set([...this.#selection].filter((id) => present.has(id)))
  }

  /**
   * Drops the images in `gone`. The cursor stays on the item it was on, or on the one after it
   * when that one left, so a keyboard labeler lands on the next image.
   */
  protected remove(gone: ReadonlySet<number>): void {
    // A key press removes one image, near the cursor, from lists of up to 100k: find the positions
    // (stopping once all are found), then take them out in place, last first.
    const items = this.#items
    const positions: number[] = []
    for (let index = 0; index < items.length && positions.length < gone.size; index++) {
      if (gone.has(this.idOf(items[index]!))) positions.push(index)
    }
    if (positions.length === 0) return
    if (positions.length === 1) items.splice(positions[0]!, 1)
    else this.#items = withoutPositions(items, positions)
    const removedBeforeCursor = positions.filter((position) => position < this.#cursor).length
    this.#version++
    this.#cursor = Math.max(0, Math.min(this.#cursor - removedBeforeCursor, this.#items.length - 1))
  }

  moveTo(index: number): void {
    if (this.#items.length === 0) return
    this.#cursor = Math.max(0, Math.min(this.#items.length - 1, index))
  }

  move(delta: number): void {
    this.moveTo(this.#cursor + delta)
  }

  /** Click semantics of every file manager: plain, Ctrl/Cmd (toggle), Shift (range from the anchor). */
  click(index: number, modifiers: { toggle: boolean; range: boolean }): void {
    const item = this.#items[index]
    if (item === undefined) return
    const id = this.idOf(item)
    if (modifiers.range) {
      const [from, to] = [Math.min(this.#anchor, index), Math.max(this.#anchor, index)]
      this.#selection = new Set([...this.#selection, ...this.#items.slice(from, to + 1).map(this.idOf)])
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
    this.#selection = new Set(this.#items.map(this.idOf))
  }

  clearSelection(): void {
    this.#selection = new Set()
  }
}

/** `items` without the ones at `positions` (ascending). */
function withoutPositions<T>(items: readonly T[], positions: readonly number[]): T[] {
  const kept: T[] = []
  let from = 0
  for (const position of [...positions, items.length]) {
    for (let index = from; index < position; index++) kept.push(items[index]!)
    from = position + 1
  }
  return kept
}
