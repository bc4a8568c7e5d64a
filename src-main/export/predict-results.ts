// The rows of one prediction started from the app, kept on the main side in a compact form: per row
// its path, the indices of its best classes and their probabilities in typed arrays (a 100,000-image
// folder is a few megabytes), or why it could not be read. The Predict view reads them a filtered,
// sorted page at a time and never holds them all; the CSV is written from here too.
import type { PredictFilter, PredictPage, PredictSort, PredictSource, PredictedRow } from '../contract/predict'
import type { PredictionRow } from './predict-folder'
import { csvHeader, csvRow } from './prediction-csv'

/** What the predict job sends the main side, in this order: the model's classes, the file count, rows. */
export type PredictMessage =
  | { type: 'ready'; labels: string[]; engine: string; top: number }
  | { type: 'files'; count: number }
  | { type: 'rows'; rows: PredictionRow[] }

export type PredictState = PredictPage['state']

export interface PageRequest {
  offset: number
  limit: number
  filter: PredictFilter
  sort: PredictSort
  descending: boolean
}

export class PredictResults {
  #labels: string[] = []
  #labelIndex = new Map<string, number>()
  #engine = ''
  #top = 0
  #files: number | null = null
  #paths: string[] = []
  /** Row r's k-th best class is #ranks[r * top + k] (an index into labels), with #probabilities alike. */
  #ranks = new Uint16Array(0)
  #probabilities = new Float32Array(0)
  #errors = new Map<number, string>()
  /** Rows per best class, in label order. */
  #counts: number[] = []
  #state: PredictState = 'running'
  #error: string | null = null
  #imagesPerSecond: number | null = null
  /** The last filtered and sorted row order, reused while nothing changed (scrolling asks often). */
  #order: { key: string; indices: Int32Array } | null = null

  constructor(
    readonly jobId: string,
    readonly folder: string,
    readonly source: PredictSource
  ) {}

  get state(): PredictState {
    return this.#state
  }
  get received(): number {
    return this.#paths.length
  }
  get labels(): readonly string[] {
    return this.#labels
  }

  receive(message: PredictMessage): void {
    if (message.type === 'ready') {
      this.#labels = message.labels
      this.#labelIndex = new Map(message.labels.map((label, index) => [label, index]))
      this.#engine = message.engine
      this.#top = message.top
      this.#counts = message.labels.map(() => 0)
    } else if (message.type === 'files') {
      this.#files = message.count
    } else {
      for (const row of message.rows) this.#add(row)
      this.#order = null
    }
  }

  /** The job ended: how, and (when it failed) why. */
  finish(state: Exclude<PredictState, 'running'>, details: { error?: string; imagesPerSecond?: number | null } = {}): void {
    this.#state = state
    this.#error = details.error ?? null
    this.#imagesPerSecond = details.imagesPerSecond ?? null
  }

  /** The path of row `index` relative to the folder, or null when there is no such row. */
  pathOf(index: number): string | null {
    return this.#paths[index] ?? null
  }

  page(request: PageRequest): PredictPage {
    const order = this.#matching(request.filter, request.sort, request.descending)
    const count = order ? order.length : this.received
    const end = Math.min(count, request.offset + request.limit)
    const rows: PredictedRow[] = []
    for (let position = request.offset; position < end; position++) rows.push(this.#row(order ? order[position]! : position))
    return {
      jobId: this.jobId,
      folder: this.folder,
      source: this.source,
      labels: [...this.#labels],
      engine: this.#engine,
      top: this.#top,
      state: this.#state,
      error: this.#error,
      files: this.#files,
      received: this.received,
      unreadable: this.#errors.size,
      counts: this.#labels.map((label, index) => ({ label, count: this.#counts[index]! })),
      matched: count,
      offset: request.offset,
      rows,
      imagesPerSecond: this.#imagesPerSecond
    }
  }

  /** The rows matching `filter`, in the order they were predicted, as `pictor predict --csv` writes them. */
  *csv(filter: PredictFilter): Generator<string> {
    yield csvHeader(this.#top)
    const order = this.#matching(filter, 'path', false)
    const count = order ? order.length : this.received
    for (let position = 0; position < count; position++) {
      const row = this.#row(order ? order[position]! : position)
      yield csvRow({ path: row.path, top: row.top, error: row.error }, this.#top)
    }
  }

  /** How many rows match `filter`. */
  count(filter: PredictFilter): number {
    return this.#matching(filter, 'path', false)?.length ?? this.received
  }

  #add(row: PredictionRow): void {
    const index = this.#paths.length
    this.#paths.push(row.path)
    this.#grow(index + 1)
    const base = index * this.#top
    if (row.error !== null) {
      this.#errors.set(index, row.error)
      return
    }
    for (let k = 0; k < this.#top; k++) {
      const entry = row.top[k]
      this.#ranks[base + k] = entry ? (this.#labelIndex.get(entry.label) ?? 0) : 0
      this.#probabilities[base + k] = entry ? entry.probability : Number.NaN
    }
    const best = this.#ranks[base]!
    this.#counts[best] = (this.#counts[best] ?? 0) + 1
  }

  #grow(rows: number): void {
    const needed = rows * this.#top
    if (needed <= this.#ranks.length) return
    const capacity = Math.max(needed, this.#ranks.length * 2, 256 * this.#top)
    const ranks = new Uint16Array(capacity)
    ranks.set(this.#ranks)
    const probabilities = new Float32Array(capacity)
    probabilities.set(this.#probabilities)
    this.#ranks = ranks
    this.#probabilities = probabilities
  }

  #row(index: number): PredictedRow {
    const error = this.#errors.get(index) ?? null
    const top: PredictedRow['top'] = []
    if (error === null) {
      for (let k = 0; k < this.#top; k++) {
        const probability = this.#probabilities[index * this.#top + k]!
        if (!Number.isNaN(probability)) top.push({ label: this.#labels[this.#ranks[index * this.#top + k]!]!, probability })
      }
    }
    return { index, path: this.#paths[index]!, top, error }
  }

  /** Row indices in the order asked for, or null for "every row in predicted order" (nothing to build). */
  #matching(filter: PredictFilter, sort: PredictSort, descending: boolean): Int32Array | null {
    const plain = filter.label === undefined && filter.minConfidence === undefined && filter.maxConfidence === undefined && filter.unreadable === undefined
    if (plain && sort === 'path' && !descending) return null
    const key = JSON.stringify([filter.label, filter.minConfidence, filter.maxConfidence, filter.unreadable, sort, descending, this.received])
    if (this.#order?.key === key) return this.#order.indices
    const label = filter.label === undefined ? undefined : (this.#labelIndex.get(filter.label) ?? -1)
    const min = filter.minConfidence ?? 0
    const max = filter.maxConfidence ?? 1
    const needsPrediction = label !== undefined || filter.minConfidence !== undefined || filter.maxConfidence !== undefined || filter.unreadable === false
    const matches = new Int32Array(this.received)
    let count = 0
    for (let index = 0; index < this.received; index++) {
      const failed = this.#errors.has(index)
      if (filter.unreadable === true && !failed) continue
      if (needsPrediction) {
        if (failed) continue
        const best = this.#probabilities[index * this.#top]!
        if (label !== undefined && this.#ranks[index * this.#top] !== label) continue
        if (best < min || best > max) continue
      }
      matches[count++] = index
    }
    const indices = matches.slice(0, count)
    if (sort === 'confidence') {
      // Unreadable rows have no confidence: they sort below every predicted one.
      const confidence = (index: number) => (this.#errors.has(index) ? -1 : this.#probabilities[index * this.#top]!)
      indices.sort((a, b) => confidence(a) - confidence(b) || a - b)
    }
    if (descending) indices.reverse()
    this.#order = { key, indices }
    return indices
  }
}
