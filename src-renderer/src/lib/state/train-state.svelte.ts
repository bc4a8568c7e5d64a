import type { BaseModelStatus, EpochMetrics, JobProgress, RunStatus, RunSummary, TrainSettings, TrainingProgress } from '@contract/types'
import { defaultsForModel, defaultTrainModel, TRAIN_DEFAULTS } from '@contract/train-settings'
import { ApiError, type Client } from '../api/client'

export type SettingsDraft = Omit<TrainSettings, 'seed'>

/** What a run's row says (`text`) and which status it is coloured as (`status`). */
export interface RunStatusView {
  text: string
  status: RunStatus
}

/** The contract's defaults (the seed CNN's) less the seed, which the form does not show. */
const { seed: _seed, ...DEFAULT_SETTINGS }: TrainSettings = TRAIN_DEFAULTS

/** The Train view: settings, the run in progress with its live curves, and every past run. */
export class TrainState {
  settings = $state<SettingsDraft>({ ...DEFAULT_SETTINGS })
  /** Where new runs write their TensorBoard logs; empty: beside the project file (`<name>.runs`). */
  logRoot = $state('')
  /** The user picked a model: the automatic default no longer applies. */
  #modelChosen = false
  #runs = $state.raw<RunSummary[]>([])
  #job = $state.raw<JobProgress | null>(null)
  /** Per-batch loss of the current run, for the live curve (bounded). */
  #batchLoss = $state.raw<{ x: number; y: number }[]>([])
  #error = $state<string | null>(null)
  #notice = $state<string | null>(null)
  #baseModel = $state.raw<BaseModelStatus | null>(null)
  #refreshes = 0
  /** Epochs of the current job's run as its events reported them: kept across a refresh that predates them. */
  #liveEpochs: { runId: number; epochs: EpochMetrics[] } | null = null
  /** The run this view started or resumed, by job: known before the job's first event names it. */
  #started = $state.raw<{ jobId: string; runId: number } | null>(null)
  #unsubscribe: () => void

  constructor(private readonly api: Client) {
    this.#unsubscribe = api.on('job.progress', (progress) => this.#onProgress(progress))
  }

  get runs() {
    return this.#runs
  }
  get job() {
    return this.#job
  }
  get running() {
    return this.#job?.state === 'running'
  }
  get detail(): TrainingProgress | null {
    return this.#job?.detail ?? null
  }
  get batchLoss() {
    return this.#batchLoss
  }
  get error() {
    return this.#error
  }
  get notice() {
    return this.#notice
  }
  /** MobileNetV2's weights: installed or not (the Train view offers to get them). */
  get baseModel() {
    return this.#baseModel
  }

  /** Switches model (the user's choice) and the defaults that come with it. */
  chooseModel(model: SettingsDraft['model']): void {
    this.#modelChosen = true
    this.#applyModel(model)
  }

  #applyModel(model: SettingsDraft['model']): void {
    const { seed: _unused, ...settings } = defaultsForModel(model)
    this.settings = settings
  }

  /**
   * Makes `model` the default, but only while the form is untouched: the base-model check answers
   * asynchronously, and a late answer must not wipe out what the user already chose or typed.
   */
  preferModel(model: SettingsDraft['model']): void {
    if (this.running || this.#modelChosen) return
    const untouched = (Object.keys(DEFAULT_SETTINGS) as (keyof SettingsDraft)[]).every((key) => this.settings[key] === DEFAULT_SETTINGS[key])
    if (untouched) this.#applyModel(model)
  }
  /**
   * What run `run`'s row says. The list is read when a run starts and when it ends, so a run being
   * trained is stored as 'queued' there: its job's events say what it is doing instead (extracting
   * features, training) and, until the list is read again, how it ended.
   */
  statusOf(run: RunSummary): RunStatusView {
    const job = this.#job
    const started = this.#started
    const unsettled = run.status === 'queued' || run.status === 'running'
    // Started here, and its job has not reported yet (its first event may come after the answer).
    if (started?.runId === run.id && job?.jobId !== started.jobId && unsettled) return { text: 'starting', status: 'running' }
    const jobRunId = job?.detail?.runId ?? (started?.jobId === job?.jobId ? started?.runId : undefined)
    if (!job || jobRunId !== run.id) return { text: run.status, status: run.status }
    if (job.state !== 'running') return unsettled ? { text: job.state, status: job.state } : { text: run.status, status: run.status }
    const detail = job.detail
    if (!detail) return { text: 'starting', status: 'running' }
    if (detail.phase !== 'extracting') return { text: 'running', status: 'running' }
    const extracted = detail.extracted
    const text = extracted && extracted.total > 0 ? `extracting features ${extracted.done}/${extracted.total}` : 'reading cached features'
    return { text, status: 'running' }
  }

  /** The run being trained, as stored plus the epochs that arrived since. */
  get activeRun(): RunSummary | undefined {
    const runId = this.detail?.runId
    return runId === undefined ? undefined : this.#runs.find((run) => run.id === runId)
  }

  dispose(): void {
    this.#unsubscribe()
  }

  /** Reads whether MobileNetV2 is installed, and makes the default model follow (`pictor train`'s rule). */
  async refreshBaseModel(): Promise<void> {
    const models = await this.api.call('models.list', {}).catch(() => [])
    this.#baseModel = models[0] ?? null
    this.preferModel(defaultTrainModel(models.some((model) => model.installed)))
  }

  async refresh(): Promise<void> {
    // Refreshes overlap (every epoch end and the job's end start one): only the newest may land,
    // or an older answer would put a finished run back to 'running'.
    const ticket = ++this.#refreshes
    const runs = await this.api.call('runs.list', {}).catch(() => this.#runs)
    if (ticket !== this.#refreshes) return
    this.#runs = runs.map((run) => this.#withLiveEpochs(run))
    const jobs = await this.api.call('jobs.list', {}).catch(() => [])
    if (ticket !== this.#refreshes) return
    const running = jobs.find((job) => job.kind === 'train' && job.state === 'running')
    // Only adopt a job we know nothing newer about: this answer may predate a 'done' event.
    if (running && running.jobId !== this.#job?.jobId) this.#job = running
  }

  async start(): Promise<void> {
    await this.#attempt(async () => {
      this.#batchLoss = []
      const logRoot = this.logRoot.trim()
      this.#started = await this.api.call('train.start', { settings: $state.snapshot(this.settings), logRoot: logRoot === '' ? null : logRoot })
    })
  }

  async resume(runId: number): Promise<void> {
    await this.#attempt(async () => {
      this.#batchLoss = []
      this.#started = await this.api.call('train.resume', { runId })
    })
  }

  async cancel(): Promise<void> {
    if (this.#job?.state === 'running') await this.api.call('jobs.cancel', { jobId: this.#job.jobId }).catch(() => {})
  }

  async remove(runId: number): Promise<void> {
    await this.#attempt(async () => {
      await this.api.call('runs.delete', { runId })
    })
  }

  /**
   * A training job's progress. An epoch's end carries its metrics: they join the run in place. The
   * run list is read again only when a run this view does not list yet starts (another window
   * started it) and when the job ends (status, summary, model).
   */
  #onProgress(progress: JobProgress): void {
    if (progress.kind !== 'train') return
    this.#job = progress
    const detail = progress.detail
    if (detail?.notice) this.#notice = detail.notice
    if (detail && detail.epochMetrics === null && detail.loss !== null) {
      const x = detail.epoch + detail.batch / Math.max(1, detail.batchesPerEpoch)
      this.#batchLoss = [...this.#batchLoss.slice(-2000), { x, y: detail.loss }]
    }
    if (detail?.epochMetrics) {
      if (this.#liveEpochs?.runId !== detail.runId) this.#liveEpochs = { runId: detail.runId, epochs: [] }
      this.#liveEpochs.epochs.push(detail.epochMetrics)
      this.#runs = this.#runs.map((run) => this.#withLiveEpochs(run))
    }
    const unknownRun = detail !== null && detail !== undefined && !this.#runs.some((run) => run.id === detail.runId)
    if (unknownRun || progress.state !== 'running') void this.refresh()
  }

  /** The run with the epochs its job reported that the stored copy does not have yet. */
  #withLiveEpochs(run: RunSummary): RunSummary {
    const live = this.#liveEpochs
    if (live?.runId !== run.id) return run
    const stored = new Set(run.epochs.map((epoch) => epoch.epoch))
    const missing = live.epochs.filter((epoch) => !stored.has(epoch.epoch))
    return missing.length === 0 ? run : { ...run, epochs: [...run.epochs, ...missing].sort((a, b) => a.epoch - b.epoch) }
  }

  async #attempt(action: () => Promise<void>): Promise<void> {
    this.#error = null
    this.#notice = null
    try {
      await action()
      await this.refresh()
    } catch (error) {
      this.#error = error instanceof ApiError ? error.message : String(error)
    }
  }
}
