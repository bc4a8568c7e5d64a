import type { ClassCount, LabelChange, LabelHistory } from '@contract/types'
import { getContext, setContext } from 'svelte'
import { ApiError } from '../api/client'
import type { AppState } from './app-state.svelte'
import { GridState } from './grid-state.svelte'
import { SuggestionState } from './suggestion-state.svelte'

const KEY = Symbol('pictor.label-state')
const TOAST_MS = 2500
/**
 * Counts (labeled/total, per class) are re-read this long after the last change, not after every
 * key: at 100k images they cost tens of milliseconds on the server, which must answer the next key.
 */
const COUNTS_DELAY_MS = 400

/** The Label view's state: the grid, the classes, undo/redo, and a short note of what just happened. */
export class LabelState {
  readonly grid: GridState
  readonly suggestions: SuggestionState
  #toast = $state<{ text: string; error: boolean } | null>(null)
  #history = $state.raw<LabelHistory>({ undo: null, redo: null })
  #toastTimer: ReturnType<typeof setTimeout> | undefined
  #countsTimer: ReturnType<typeof setTimeout> | undefined
  #unsubscribe: () => void

  constructor(private readonly app: AppState) {
    this.grid = new GridState(app.api)
    this.suggestions = new SuggestionState(app.api, () => void this.grid.refreshAll())
    // Changes made elsewhere (another window, the CLI through the same server) show up here too.
    this.#unsubscribe = app.api.on('labels.changed', () => void this.#refreshHistory())
  }

  get classes(): ClassCount[] {
    return this.app.library?.classes ?? []
  }
  get classById(): ReadonlyMap<number, ClassCount> {
    return new Map(this.classes.map((item) => [item.id, item]))
  }
  get toast() {
    return this.#toast
  }
  get history() {
    return this.#history
  }

  async start(): Promise<void> {
    await Promise.all([this.grid.reload(), this.#refreshHistory(), this.suggestions.start()])
  }

  dispose(): void {
    this.#unsubscribe()
    this.suggestions.dispose()
    clearTimeout(this.#countsTimer)
    clearTimeout(this.#toastTimer)
  }

  async assignHotkey(key: string): Promise<boolean> {
    const target = this.classes.find((item) => item.hotkey === key)
    if (!target) return false
    await this.assign(target.id)
    return true
  }

  async assign(classId: number | null): Promise<void> {
    await this.#act(async () => this.grid.label(classId))
  }

  /** Enter: the selection's (or the current image's) suggestions become labels; then the next image. */
  async acceptSuggestion(): Promise<void> {
    await this.#act(async () => this.grid.acceptSuggestions())
  }

  /** "Accept all ≥ N%": one undo step, then the filter is re-read (many images may leave it). */
  async acceptAtLeast(percent: number): Promise<void> {
    await this.#act(async () => {
      const change = await this.app.api.call('suggestions.accept', { minConfidence: percent / 100 })
      await this.grid.refreshAfter(change)
      return change
    })
  }

  async undo(): Promise<void> {
    await this.#act(async () => {
      const change = await this.app.api.call('labels.undo', {})
      await this.grid.refreshAfter(change)
      return change ?? { description: 'Nothing to undo', imageIds: [] }
    })
  }

  async redo(): Promise<void> {
    await this.#act(async () => {
      const change = await this.app.api.call('labels.redo', {})
      await this.grid.refreshAfter(change)
      return change ?? { description: 'Nothing to redo', imageIds: [] }
    })
  }

  async setSplit(imageId: number, split: 'train' | 'val' | 'test' | null): Promise<boolean> {
    return this.#act(async () => {
      await this.app.api.call('images.setSplit', { imageIds: [imageId], split })
      const change = { description: split ? `Moved the image to ${split}` : 'The image follows the automatic split again', imageIds: [imageId] }
      await this.grid.refreshAfter(change)
      return change
    })
  }

  async createClass(name: string): Promise<boolean> {
    return this.#act(async () => {
      const created = await this.app.api.call('classes.create', { name })
      return { description: `Added class ${created.name}${created.hotkey ? ` (key ${created.hotkey})` : ''}`, imageIds: [] }
    })
  }

  async updateClass(id: number, changes: { name?: string; color?: string; hotkey?: string | null }): Promise<boolean> {
    return this.#act(async () => {
      const updated = await this.app.api.call('classes.update', { id, ...changes })
      return { description: `Updated class ${updated.name}`, imageIds: [] }
    })
  }

  async mergeClasses(sourceId: number, targetId: number): Promise<boolean> {
    return this.#act(async () => {
      const change = await this.app.api.call('classes.merge', { sourceId, targetId })
      await this.grid.refreshAfter(change)
      return change
    })
  }

  async deleteClass(id: number): Promise<boolean> {
    return this.#act(async () => {
      const change = await this.app.api.call('classes.delete', { id })
      await this.grid.refreshAfter(change)
      return change
    })
  }

  /** Runs a change; the toast appears only after main has committed it. */
  async #act(action: () => Promise<LabelChange | null>): Promise<boolean> {
    try {
      const change = await action()
      if (change) this.#show(change.description, false)
      // The undo/redo buttons follow the labels.changed event; the counts follow a little later.
      clearTimeout(this.#countsTimer)
      this.#countsTimer = setTimeout(() => void this.app.refreshLibrary(), COUNTS_DELAY_MS)
      return true
    } catch (error) {
      this.#show(error instanceof ApiError ? error.message : String(error), true)
      return false
    }
  }

  #show(text: string, error: boolean): void {
    clearTimeout(this.#toastTimer)
    this.#toast = { text, error }
    this.#toastTimer = setTimeout(() => (this.#toast = null), TOAST_MS)
  }

  async #refreshHistory(): Promise<void> {
    this.#history = await this.app.api.call('labels.history', {}).catch(() => this.#history)
  }
}

export function provideLabelState(state: LabelState): void {
  setContext(KEY, state)
}

export function useLabelState(): LabelState {
  return getContext<LabelState>(KEY)
}
