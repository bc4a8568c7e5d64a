import type { ClassCount, LabelChange } from '@contract/types'
import { getContext, setContext } from 'svelte'
import type { AppState } from './app-state.svelte'
import { GridState, type PendingLabel } from './grid-state.svelte'
import { SuggestionState } from './suggestion-state.svelte'
import { UndoToastState } from './undo-toast.svelte'

const KEY = Symbol('pictor.label-state')

/**
 * The Label view's state: the grid, the classes, undo/redo and the note of what just happened.
 * Label keys act in two halves: which images and the cursor move happen at the keypress; the
 * commits run one after another in the order pressed, so a fast typist loses no key and the label
 * of each image shows only once main has written it. Counts and undo/redo move by what each change
 * carries (LabelChangeFeed): a key costs one call.
 */
export class LabelState {
  readonly grid: GridState
  readonly suggestions: SuggestionState
  readonly changes: UndoToastState
  /** Commits (and undo/redo, which must follow them) in the order the keys were pressed. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly app: AppState) {
    this.grid = new GridState(app.api)
    this.suggestions = new SuggestionState(app, () => void this.grid.refreshAll())
    this.changes = new UndoToastState(app)
  }

  get classes(): ClassCount[] {
    return this.app.library?.classes ?? []
  }
  get classById(): ReadonlyMap<number, ClassCount> {
    return new Map(this.classes.map((item) => [item.id, item]))
  }
  get toast() {
    return this.changes.toast
  }
  get history() {
    return this.changes.history
  }

  async start(): Promise<void> {
    await Promise.all([this.grid.reload(), this.changes.load(), this.suggestions.start()])
  }

  dispose(): void {
    this.suggestions.dispose()
    this.changes.dispose()
  }

  /** A class hotkey: false when no class has it. */
  labelWithHotkey(key: string): boolean {
    const target = this.classes.find((item) => item.hotkey === key)
    if (!target) return false
    void this.assign(target.id)
    return true
  }

  /** A class key or palette click (null: remove the label) for the selection or the current image. */
  assign(classId: number | null): Promise<void> {
    return this.#commit(this.grid.beginLabel(), (pending) => this.grid.commitLabel(pending, classId))
  }

  /** Enter: the selection's (or the current image's) suggestions become labels; then the next image. */
  acceptSuggestion(): Promise<void> {
    return this.#commit(this.grid.beginLabel(), (pending) => this.grid.commitAccept(pending))
  }

  /** "Accept all ≥ N%": one undo step, then the filter is re-read (many images may leave it). */
  acceptAtLeast(percent: number): Promise<void> {
    return this.#enqueue(async () => {
      const change = await this.changes.act(() => this.app.api.call('suggestions.accept', { minConfidence: percent / 100 }))
      await this.grid.refreshAfter(change)
    })
  }

  undo(): Promise<void> {
    return this.#enqueue(async () => this.grid.refreshAfter(await this.changes.undo()))
  }

  redo(): Promise<void> {
    return this.#enqueue(async () => this.grid.refreshAfter(await this.changes.redo()))
  }

  async setSplit(imageId: number, split: 'train' | 'val' | 'test' | null): Promise<boolean> {
    try {
      await this.app.api.call('images.setSplit', { imageIds: [imageId], split })
    } catch (error) {
      this.changes.show(messageOf(error), true)
      return false
    }
    this.changes.show(split ? `Moved the image to ${split}` : 'The image follows the automatic split again')
    await this.grid.refreshAfter({ imageIds: [imageId] })
    return true
  }

  /** New classes and edits reach the palette through their labels.changed event (the class list). */
  async createClass(name: string): Promise<boolean> {
    return this.#classEdit(async () => {
      const created = await this.app.api.call('classes.create', { name })
      return `Added class ${created.name}${created.hotkey ? ` (key ${created.hotkey})` : ''}`
    })
  }

  async updateClass(id: number, changes: { name?: string; color?: string; hotkey?: string | null }): Promise<boolean> {
    return this.#classEdit(async () => `Updated class ${(await this.app.api.call('classes.update', { id, ...changes })).name}`)
  }

  async mergeClasses(sourceId: number, targetId: number): Promise<boolean> {
    return this.#enqueue(async () => {
      const change = await this.changes.act(() => this.app.api.call('classes.merge', { sourceId, targetId }))
      await this.grid.refreshAfter(change)
      return change !== null
    })
  }

  async deleteClass(id: number): Promise<boolean> {
    return this.#enqueue(async () => {
      const change = await this.changes.act(() => this.app.api.call('classes.delete', { id }))
      await this.grid.refreshAfter(change)
      return change !== null
    })
  }

  /**
   * Queues the second half of a label key: main's commit, noted and applied when it answers. The
   * call goes out in a task of its own, after the key's: the browser runs the frame that shows the
   * cursor's move first when it is due (it favours rendering after input), instead of waiting for
   * the request to be sent.
   */
  #commit(pending: PendingLabel | null, commit: (pending: PendingLabel) => Promise<LabelChange>): Promise<void> {
    if (!pending) return Promise.resolve()
    return this.#enqueue(async () => {
      await afterThisTask()
      await this.changes.act(() => commit(pending))
    })
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work)
    this.#queue = next.catch(() => {})
    return next
  }

  async #classEdit(edit: () => Promise<string>): Promise<boolean> {
    try {
      this.changes.show(await edit())
      return true
    } catch (error) {
      this.changes.show(messageOf(error), true)
      return false
    }
  }
}

/** Resolves in a task of its own, after everything already queued (a message is not clamped like a timeout). */
function afterThisTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => resolve()
    channel.port2.postMessage(null)
  })
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function provideLabelState(state: LabelState): void {
  setContext(KEY, state)
}

export function useLabelState(): LabelState {
  return getContext<LabelState>(KEY)
}
