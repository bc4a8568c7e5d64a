import type { BaseModelStatus, JobProgress, RunSummary, TrainSettings, TrainingProgress } from '@contract/types'
import { ApiError, type Client } from '../api/client'

export type SettingsDraft = Omit<TrainSettings, 'seed'>

/** The seed CNN's defaults; MOBILENET_DEFAULTS changes what differs for transfer learning. */
export const DEFAULT_SETTINGS: SettingsDraft = {
  model: 'cnn',
  epochs: 10,
  batchSize: 64,
  learningRate: 0.001,
  optimizer: 'adam',
  momentum: 0.9,
  imageSize: 32,
  channels: 3,
  augment: false,
  batchNorm: false,
  dropout: 0,
  classWeights: false,
  oversample: false,
  patience: 0,
  backend: null
}

/** One-click transfer learning: a head on frozen features converges fast and overfits easily. */
export const MOBILENET_DEFAULTS: Partial<SettingsDraft> = { model: 'mobilenetv2', epochs: 20, patience: 5, dropout: 0.2, imageSize: 224 }

/** The Train view: settings, the run in progress with its live curves, and every past run. */
export class TrainState {
  settings = $state<SettingsDraft>({ ...DEFAULT_SETTINGS })
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
    this.settings = model === 'mobilenetv2' ? { ...DEFAULT_SETTINGS, ...MOBILENET_DEFAULTS } : { ...DEFAULT_SETTINGS }
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
  /** The run being trained, as stored plus the epochs that arrived since. */
  get activeRun(): RunSummary | undefined {
    const runId = this.detail?.runId
    return runId === undefined ? undefined : this.#runs.find((run) => run.id === runId)
  }

  dispose(): void {
    this.#unsubscribe()
  }

  async refreshBaseModel(): Promise<void> {
    const models = await this.api.call('models.list', {}).catch(() => [])
    this.#baseModel = models[0] ?? null
  }

  async refresh(): Promise<void> {
    // Refreshes overlap (every epoch end and the job's end start one): only the newest may land,
    // or an older answer would put a finished run back to 'running'.
    const ticket = ++this.#refreshes
    const runs = await this.api.call('runs.list', {}).catch(() => this.#runs)
    if (ticket !== this.#refreshes) return
    this.#runs = runs
    const jobs = await this.api.call('jobs.list', {}).catch(() => [])
    if (ticket !== this.#refreshes) return
    const running = jobs.find((job) => job.kind === 'train' && job.state === 'running')
    // Only adopt a job we know nothing newer about: this answer may predate a 'done' event.
    if (running && running.jobId !== this.#job?.jobId) this.#job = running
  }

  async start(): Promise<void> {
    await this.#attempt(async () => {
      this.#batchLoss = []
      await this.api.call('train.start', { settings: $state.snapshot(this.settings) })
    })
  }

  async resume(runId: number): Promise<void> {
    await this.#attempt(async () => {
      this.#batchLoss = []
      await this.api.call('train.resume', { runId })
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

  #onProgress(progress: JobProgress): void {
    if (progress.kind !== 'train') return
    this.#job = progress
    const detail = progress.detail
    if (detail?.notice) this.#notice = detail.notice
    if (detail && detail.epochMetrics === null && detail.loss !== null) {
      const x = detail.epoch + detail.batch / Math.max(1, detail.batchesPerEpoch)
      this.#batchLoss = [...this.#batchLoss.slice(-2000), { x, y: detail.loss }]
    }
    // Epoch ends and the end of the run change what the run list shows.
    if (detail?.epochMetrics || progress.state !== 'running') void this.refresh()
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
