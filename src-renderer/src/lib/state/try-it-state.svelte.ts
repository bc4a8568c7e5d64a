import type { PredictedImage, PredictSource } from '@contract/predict'
import { TRY_IMAGE_MAX_BYTES, tooLargeMessage } from '@contract/try-image'
import { ApiError, type Client } from '../api/client'

/** What predicts, as the Predict view's form chooses it (null while it names nothing usable). */
export type TrySource = { runId: number } | { modelPath: string }

type TriedImage = { path: string; name: string } | { bytes: string; name: string }

/**
 * Try it: one image at a time, dropped or chosen, predicted with the Predict view's model; the answer
 * (every class with its probability, best first) comes from main, which keeps the model loaded. A
 * dropped file is read here and sent as base64, since a browser gives no path for it. Only the latest
 * try is shown: an earlier one that answers late is dropped.
 */
export class TryItState {
  #result = $state.raw<PredictedImage | null>(null)
  #name = $state<string | null>(null)
  #busy = $state(false)
  #error = $state<string | null>(null)
  #last: TriedImage | null = null
  #sequence = 0

  constructor(
    private readonly api: Client,
    private readonly source: () => TrySource | null
  ) {}

  get result() {
    return this.#result
  }
  /** The tried image's file name. */
  get name() {
    return this.#name
  }
  get busy() {
    return this.#busy
  }
  get error() {
    return this.#error
  }
  get best() {
    return this.#result?.ranks[0] ?? null
  }
  /** True when the shown answer came from another model than the one chosen now. */
  get stale(): boolean {
    const source = this.source()
    const shown = this.#result?.source
    if (!source || !shown || this.#busy) return false
    return 'runId' in source ? shown.kind !== 'run' || shown.runId !== source.runId : shown.kind !== 'model' || shown.path !== source.modelPath
  }

  /** A file dropped or opened in the page: checked, read and sent as bytes. */
  async tryFile(file: File): Promise<void> {
    if (file.size > TRY_IMAGE_MAX_BYTES) return this.#fail(file.name, tooLargeMessage(file.name))
    if (file.size === 0 && file.type === '') return this.#fail(file.name, `${file.name} is a folder or an empty file: drop one image (to predict a folder, choose it below)`)
    const sequence = ++this.#sequence
    this.#busy = true
    let bytes: string
    try {
      bytes = await base64Of(file)
    } catch (error) {
      if (sequence === this.#sequence) this.#fail(file.name, `${file.name} could not be read: ${message(error)}`)
      return
    }
    if (sequence === this.#sequence) await this.#try({ bytes, name: file.name }, sequence)
  }

  /** A file chosen by path (the folder browser, or the native dialog in the desktop app). */
  tryPath(path: string): Promise<void> {
    return this.#try({ path, name: nameOf(path) }, ++this.#sequence)
  }

  /** The last image again, with the model chosen now. */
  again(): Promise<void> {
    return this.#last ? this.#try(this.#last, ++this.#sequence) : Promise.resolve()
  }

  async #try(image: TriedImage, sequence: number): Promise<void> {
    const source = this.source()
    this.#last = image
    this.#name = image.name
    if (!source) return this.#fail(image.name, 'Choose what to predict with under “Predict with” first: a run of this project or an exported model.')
    this.#busy = true
    this.#error = null
    try {
      const request = 'path' in image ? { path: image.path } : { bytes: image.bytes, name: image.name }
      const result = await this.api.call('predict.image', { ...source, ...request })
      if (sequence !== this.#sequence) return
      this.#result = result
    } catch (error) {
      if (sequence !== this.#sequence) return
      this.#result = null
      this.#error = message(error)
    } finally {
      if (sequence === this.#sequence) this.#busy = false
    }
  }

  #fail(name: string, why: string): void {
    this.#sequence++
    this.#busy = false
    this.#name = name
    this.#result = null
    this.#error = why
  }
}

/** How a result's model reads in a sentence: "run #3", or the exported model's file or folder name. */
export function sourceName(source: PredictSource | TrySource): string {
  if ('kind' in source) return source.kind === 'run' ? `run #${source.runId}` : nameOf(source.path)
  return 'runId' in source ? `run #${source.runId}` : nameOf(source.modelPath)
}

/** The file's bytes as base64 (a data URL's payload: the browser encodes it natively, fast for MBs). */
function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => {
      const url = String(reader.result)
      resolve(url.slice(url.indexOf(',') + 1))
    }
    reader.onerror = () => reject(reader.error ?? new Error('the browser could not read it'))
    reader.readAsDataURL(file)
  })
}

const message = (error: unknown) => (error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error))

function nameOf(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '')
  return trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1) || path
}
