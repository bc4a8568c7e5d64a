import type { ExportFormat, ExportResult, RunSummary } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { keptOrNewest, runsWithModel } from '../usable-runs'

/** The Export view: which run, which formats, where; the export in progress and its result. */
export class ExportState {
  /** Finished runs with a model, newest first: the only ones that can be exported. */
  #runs = $state.raw<RunSummary[]>([])
  runId = $state<number | null>(null)
  formats = $state<Record<ExportFormat, boolean>>({ onnx: true, tfjs: true })
  /** Quantize the ONNX file to int8 (issue 18; MobileNetV2 runs). */
  onnxInt8 = $state(false)
  dir = $state('')
  #busy = $state(false)
  #error = $state<string | null>(null)
  #result = $state.raw<ExportResult | null>(null)

  #unsubscribe: () => void

  constructor(private readonly api: Client) {
    // A run that finishes (or is deleted) while this view is open changes what can be exported.
    this.#unsubscribe = api.on('library.changed', ({ reason }) => {
      if (reason === 'training' || reason === 'run deleted') void this.refresh()
    })
  }

  dispose(): void {
    this.#unsubscribe()
  }

  get runs() {
    return this.#runs
  }
  get busy() {
    return this.#busy
  }
  get error() {
    return this.#error
  }
  get result() {
    return this.#result
  }
  get chosenFormats(): ExportFormat[] {
    return (['onnx', 'tfjs'] as const).filter((format) => this.formats[format])
  }
  get canExport(): boolean {
    return !this.#busy && this.runId !== null && this.chosenFormats.length > 0 && this.dir.trim() !== ''
  }

  async refresh(): Promise<void> {
    try {
      const runs = await this.api.call('runs.list', {})
      this.#runs = runsWithModel(runs)
      this.runId = keptOrNewest(this.runId, this.#runs)
    } catch (error) {
      this.#error = message(error)
    }
  }

  async export(): Promise<void> {
    if (!this.canExport) return
    this.#busy = true
    this.#error = null
    this.#result = null
    try {
      this.#result = await this.api.call('export.run', {
        runId: this.runId!,
        dir: this.dir.trim(),
        formats: this.chosenFormats,
        quantize: this.formats.onnx && this.onnxInt8 ? 'int8' : 'none'
      })
    } catch (error) {
      this.#error = message(error)
    } finally {
      this.#busy = false
    }
  }
}

const message = (error: unknown) => (error instanceof ApiError ? error.message : String(error))
