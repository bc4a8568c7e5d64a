import type { ImportedRun, PreprocessingPreset } from '@contract/run-import'
import { ApiError } from '../api/client'
import type { AppState } from './app-state.svelte'

/** 'metadata': as the model's Pictor metadata says (the usual case: an export, or the bundle's train.py). */
export type PreprocessingChoice = 'metadata' | PreprocessingPreset

/**
 * The Train view's "Import an ONNX classifier…" card (issue 15, `pictor runs import`): an .onnx file (or a folder
 * holding model.onnx), with labels and preprocessing only for a model that carries no Pictor metadata.
 */
export class RunImportState {
  path = $state('')
  /** Comma-separated, in the model's output order; empty: from the metadata. */
  labels = $state('')
  preprocessing = $state<PreprocessingChoice>('metadata')
  #busy = $state(false)
  #error = $state<string | null>(null)
  #imported = $state.raw<ImportedRun | null>(null)

  constructor(private readonly app: AppState) {}

  get busy() {
    return this.#busy
  }
  get error() {
    return this.#error
  }
  get imported() {
    return this.#imported
  }
  get canImport(): boolean {
    return !this.#busy && this.path.trim() !== '' && !this.app.project?.readOnly
  }

  async import(): Promise<ImportedRun | null> {
    if (!this.canImport) return null
    const labels = this.labels
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== '')
    this.#busy = true
    this.#error = null
    this.#imported = null
    try {
      this.#imported = await this.app.api.call('runs.import', {
        path: this.path.trim(),
        ...(labels.length > 0 ? { labels } : {}),
        ...(this.preprocessing === 'metadata' ? {} : { preprocessing: this.preprocessing })
      })
      return this.#imported
    } catch (error) {
      this.#error = error instanceof ApiError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)
      return null
    } finally {
      this.#busy = false
    }
  }
}
