import type { PredictFilter, PredictPage, PredictSort, PredictedRow } from '@contract/predict'
import type { RunSummary } from '@contract/types'
import { ApiError, type Client } from '../api/client'
import { JobTracker } from './job-tracker.svelte'
import { PredictThumbnails } from './predict-thumbnails.svelte'
import { keptOrNewest, runsWithModel } from '../usable-runs'

export type SourceKind = 'run' | 'model'

/** Rows a page asks for at most (the table shows a screenful; the contract allows 1000). */
const MAX_WINDOW = 500

/**
 * The Predict view: what to predict with (a run of the project or an exported model) and which
 * folder; the job (progress, cancel); and a window onto its rows, which stay in main: only the rows
 * on screen are fetched, filtered and sorted there, and fetched again as new rows stream in.
 */
export class PredictState {
  #runs = $state.raw<RunSummary[]>([])
  sourceKind = $state<SourceKind>('run')
  runId = $state<number | null>(null)
  modelPath = $state('')
  folder = $state('')
  #starting = $state(false)
  #error = $state<string | null>(null)

  #page = $state.raw<PredictPage | null>(null)
  /** The fetched rows by their position in the filtered, sorted list. */
  #rows = $state.raw<Map<number, PredictedRow>>(new Map())
  #show = $state('all')
  #minPercent = $state(0)
  #maxPercent = $state(100)
  #sort = $state<PredictSort>('path')
  #descending = $state(false)
  /** Bumped when the filter or sort changes: the table scrolls back to the top. */
  #filterVersion = $state(0)
  #window = { first: 0, end: 0 }
  #fetching = false
  #again = false

  csvFolder = $state('')
  csvName = $state('predictions.csv')
  csvFilteredOnly = $state(false)
  #saving = $state(false)
  #saved = $state<string | null>(null)
  #saveError = $state<string | null>(null)
  #confirmReplace = $state(false)

  readonly job: JobTracker
  readonly thumbnails = new PredictThumbnails()
  readonly #unsubscribe: (() => void)[]

  constructor(private readonly api: Client) {
    // Only the jobs this view follows (or adopts when it opens): a start whose model does not load
    // fails its call, and that job's end must not show a second time.
    this.job = new JobTracker(api, 'predict', () => void this.refresh(), false)
    this.#unsubscribe = [
      // Rows arrive as the job goes: each progress event (at most ten a second) refreshes the window.
      api.on('job.progress', (progress) => {
        if (progress.kind === 'predict' && (this.#page === null || progress.jobId === this.#page.jobId)) void this.refresh()
      }),
      api.on('library.changed', ({ reason }) => {
        if (reason === 'training' || reason === 'run deleted') void this.loadRuns()
      })
    ]
  }

  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.job.dispose()
    this.thumbnails.dispose()
  }

  get runs() {
    return this.#runs
  }
  get starting() {
    return this.#starting
  }
  get error() {
    return this.#error
  }
  get page() {
    return this.#page
  }
  get filterVersion() {
    return this.#filterVersion
  }
  get saving() {
    return this.#saving
  }
  get saved() {
    return this.#saved
  }
  get saveError() {
    return this.#saveError
  }
  get confirmReplace() {
    return this.#confirmReplace
  }
  get canStart(): boolean {
    const source = this.sourceKind === 'run' ? this.runId !== null : this.modelPath.trim() !== ''
    return !this.#starting && !this.job.running && source && this.folder.trim() !== ''
  }
  get canSave(): boolean {
    return this.#page !== null && this.#page.state !== 'running' && !this.#saving && this.csvFolder.trim() !== '' && this.csvName.trim() !== ''
  }

  /** 'all', 'unreadable', or 'class:<label>': which rows the table shows. */
  get show() {
    return this.#show
  }
  set show(value: string) {
    this.#show = value
    this.#filterChanged()
  }
  get minPercent() {
    return this.#minPercent
  }
  set minPercent(value: number) {
    this.#minPercent = clampPercent(value)
    this.#filterChanged()
  }
  get maxPercent() {
    return this.#maxPercent
  }
  set maxPercent(value: number) {
    this.#maxPercent = clampPercent(value)
    this.#filterChanged()
  }
  get sort() {
    return this.#sort
  }
  set sort(value: PredictSort) {
    this.#sort = value
    this.#filterChanged()
  }
  get descending() {
    return this.#descending
  }
  set descending(value: boolean) {
    this.#descending = value
    this.#filterChanged()
  }

  get filter(): PredictFilter {
    const filter: PredictFilter = {}
    if (this.#show === 'unreadable') return { unreadable: true }
    if (this.#show.startsWith('class:')) filter.label = this.#show.slice('class:'.length)
    if (this.#minPercent > 0) filter.minConfidence = this.#minPercent / 100
    if (this.#maxPercent < 100) filter.maxConfidence = this.#maxPercent / 100
    return filter
  }

  /** The row at `position` of the filtered list, once fetched. */
  rowAt(position: number): PredictedRow | undefined {
    return this.#rows.get(position)
  }

  thumbnailUrl(row: PredictedRow): string {
    return `/predicted/${this.#page!.jobId}/${row.index}.webp`
  }

  async load(): Promise<void> {
    await Promise.all([this.loadRuns(), this.job.adopt(), this.refresh()])
    // Back in the view after a prediction: show what it was made with.
    const source = this.#page?.source
    if (source && this.folder === '') {
      this.folder = this.#page!.folder
      this.sourceKind = source.kind
      if (source.kind === 'run') this.runId = source.runId
      else this.modelPath = source.path
    }
  }

  async loadRuns(): Promise<void> {
    try {
      const runs = await this.api.call('runs.list', {})
      this.#runs = runsWithModel(runs)
      this.runId = keptOrNewest(this.runId, this.#runs)
      if (this.#runs.length === 0 && this.modelPath === '') this.sourceKind = 'model'
    } catch (error) {
      this.#error = message(error)
    }
  }

  async start(): Promise<void> {
    if (!this.canStart) return
    this.#starting = true
    this.#error = null
    this.#saved = null
    try {
      const folder = this.folder.trim()
      const source = this.sourceKind === 'run' ? { runId: this.runId! } : { modelPath: this.modelPath.trim() }
      const { jobId } = await this.api.call('predict.start', { folder, ...source })
      this.job.follow(jobId)
      this.#page = null
      this.#rows = new Map()
      this.#show = 'all'
      this.#minPercent = 0
      this.#maxPercent = 100
      this.#filterVersion++
      this.csvFolder = parentOf(folder)
      this.csvName = `${nameOf(folder) || 'folder'}-predictions.csv`
      await this.refresh(jobId)
    } catch (error) {
      this.#error = message(error)
    } finally {
      this.#starting = false
    }
  }

  /** The rows the table renders now, [first, end) of the filtered list. */
  setWindow(first: number, end: number): void {
    if (first === this.#window.first && end === this.#window.end) return
    this.#window = { first, end: Math.min(end, first + MAX_WINDOW) }
    void this.refresh()
  }

  /** Fetches the window again (new rows, another filter); calls made meanwhile fold into one more fetch. */
  async refresh(jobId?: string): Promise<void> {
    if (this.#fetching) {
      this.#again = true
      return
    }
    this.#fetching = true
    try {
      do {
        this.#again = false
        await this.#fetch(jobId ?? this.#page?.jobId)
      } while (this.#again)
    } catch (error) {
      this.#error = message(error)
    } finally {
      this.#fetching = false
    }
  }

  async saveCsv(overwrite = false): Promise<void> {
    if (!this.canSave) return
    this.#saving = true
    this.#saveError = null
    this.#saved = null
    this.#confirmReplace = false
    try {
      const path = joinPath(this.csvFolder.trim(), this.csvName.trim())
      const filter = this.csvFilteredOnly ? this.filter : {}
      const saved = await this.api.call('predict.saveCsv', { jobId: this.#page!.jobId, path, filter, overwrite })
      this.#saved = `Saved ${saved.rows} rows to ${saved.path}`
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ALREADY_EXISTS') this.#confirmReplace = true
      this.#saveError = message(error)
    } finally {
      this.#saving = false
    }
  }

  async #fetch(jobId: string | undefined): Promise<void> {
    const { first, end } = this.#window
    const page = await this.api.call('predict.results', {
      ...(jobId ? { jobId } : {}),
      offset: first,
      limit: Math.max(0, end - first),
      filter: this.filter,
      sort: this.#sort,
      descending: this.#descending
    })
    this.#page = page
    if (!page) return
    this.#rows = new Map(page.rows.map((row, index) => [page.offset + index, row]))
    this.thumbnails.want(page.rows.filter((row) => row.error === null).map((row) => this.thumbnailUrl(row)))
  }

  #filterChanged(): void {
    this.#filterVersion++
    this.#window = { first: 0, end: Math.max(this.#window.end - this.#window.first, 1) }
    void this.refresh()
  }
}

const message = (error: unknown) => (error instanceof ApiError ? error.message : String(error))
const clampPercent = (value: number) => (Number.isFinite(value) ? Math.min(100, Math.max(0, Math.round(value))) : 0)
const separatorOf = (path: string) => (path.includes('\\') && !path.includes('/') ? '\\' : '/')

function parentOf(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '')
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'))
  return cut <= 0 ? trimmed.slice(0, cut + 1) || separatorOf(path) : trimmed.slice(0, cut)
}

function nameOf(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '')
  return trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1)
}

function joinPath(folder: string, name: string): string {
  const separator = separatorOf(folder)
  return folder.endsWith(separator) ? `${folder}${name}` : `${folder}${separator}${name}`
}
