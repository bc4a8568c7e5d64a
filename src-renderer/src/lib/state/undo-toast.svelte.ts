import type { LabelChange, LabelHistory } from '@contract/types'
import { ApiError } from '../api/client'
import type { AppState } from './app-state.svelte'

const TOAST_MS = 2500

/**
 * What the Label and Review views show about label changes: the undo/redo buttons (the history
 * head every change carries, from this window or another) and a short note of what just happened
 * or went wrong. Changes made here go through `act`, so each is applied once and noted after main
 * has committed it.
 */
export class UndoToastState {
  #toast = $state<{ text: string; error: boolean } | null>(null)
  #history = $state.raw<LabelHistory>({ undo: null, redo: null })
  /** Bumped by every change: a history read that was in flight meanwhile is out of date. */
  #changes = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #unsubscribe: () => void

  constructor(private readonly app: AppState) {
    this.#unsubscribe = app.labelChanges.subscribe((change) => {
      this.#changes++
      this.#history = change.history
    })
  }

  get toast() {
    return this.#toast
  }
  get history() {
    return this.#history
  }

  /** Reads the history once, when a view opens; changes keep it current from then on. */
  async load(): Promise<void> {
    const changes = this.#changes
    const history = await this.app.api.call('labels.history', {}).catch(() => null)
    if (history && changes === this.#changes) this.#history = history
  }

  /**
   * Runs a change and applies what it carries (counts, history) in this window; the note appears
   * once main has committed it, or says what went wrong. Answers the change, or null on failure.
   */
  async act(action: () => Promise<LabelChange | null>, nothing?: string): Promise<LabelChange | null> {
    try {
      const change = this.app.labelChanges.apply(await action())
      if (change) this.show(change.description)
      else if (nothing) this.show(nothing)
      return change
    } catch (error) {
      this.show(error instanceof ApiError || error instanceof Error ? error.message : String(error), true)
      return null
    }
  }

  undo(): Promise<LabelChange | null> {
    return this.act(() => this.app.api.call('labels.undo', {}), 'Nothing to undo')
  }

  redo(): Promise<LabelChange | null> {
    return this.act(() => this.app.api.call('labels.redo', {}), 'Nothing to redo')
  }

  show(text: string, error = false): void {
    clearTimeout(this.#timer)
    this.#toast = { text, error }
    this.#timer = setTimeout(() => (this.#toast = null), TOAST_MS)
  }

  dispose(): void {
    this.#unsubscribe()
    clearTimeout(this.#timer)
  }
}
