import type { ClassCount, Evaluation, EvaluationSplit, JobProgress, LabelChange, ReviewRunChoice, RunSummary } from '@contract/types'
import { recordedSettings, TRAIN_SETTING_KEYS } from '@contract/train-settings'
import { ApiError } from '../api/client'
import type { AppState } from './app-state.svelte'
import { JobTracker } from './job-tracker.svelte'
import { ReviewIssuesState } from './review-issues-state.svelte'
import { ReviewItemsState } from './review-items-state.svelte'
import { ReviewDetail } from './review-detail.svelte'
import { ReviewRobustnessState } from './review-robustness-state.svelte'
import { ReviewRuns } from './review-runs.svelte'
import { UndoToastState } from './undo-toast.svelte'

export type ReviewTab = 'matrix' | 'losses' | 'issues' | 'robustness'

/** Label changes arrive in bursts while someone relabels from the keyboard: refresh once they settle. */
const SETTLE_MS = 250

/**
 * The Review view: which run and split, its evaluation against the current labels, the images of
 * one confusion cell or the top losses (relabeled in place), label issues and robustness. Metrics
 * are re-read after every label change, so counts move as soon as an image is relabeled.
 */
export class ReviewState {
  readonly items: ReviewItemsState
  /** The large view of the grid's current image (Space). */
  readonly detail: ReviewDetail
  readonly issues: ReviewIssuesState
  readonly robustness: ReviewRobustnessState
  readonly evaluateJob: JobTracker
  readonly trainJob: JobTracker
  /** Undo/redo and the note of the last change (shared with the Label view's kind). */
  readonly changes: UndoToastState
  tab = $state<ReviewTab>('matrix')
  /** Confusion matrix as row percentages instead of counts. */
  normalized = $state(false)
  /** Top losses leave out the images the model gets right: those are not label errors. */
  mistakesOnly = $state(true)
  readonly #runs: ReviewRuns
  #runId = $state<number | null>(null)
  #split = $state<EvaluationSplit>('test')
  #evaluation = $state.raw<Evaluation | null>(null)
  #evaluationLoaded = $state(false)
  #error = $state<string | null>(null)
  #retrainRunId: number | null = null
  #evaluationTicket = 0
  #settleTimer: ReturnType<typeof setTimeout> | undefined
  #unsubscribe: (() => void)[]

  constructor(private readonly app: AppState) {
    const api = app.api
    this.#runs = new ReviewRuns(api)
    this.items = new ReviewItemsState(api)
    this.detail = new ReviewDetail(api)
    this.issues = new ReviewIssuesState(api)
    this.robustness = new ReviewRobustnessState(api)
    this.evaluateJob = new JobTracker(api, 'evaluate', (job) => this.#onEvaluated(job))
    this.trainJob = new JobTracker(api, 'train', (job) => void this.#onRetrained(job), false)
    this.changes = new UndoToastState(app)
    this.#unsubscribe = [
      app.labelChanges.subscribe(() => this.#settle()),
      api.on('library.changed', () => void this.refreshRuns())
    ]
  }

  get runs(): RunSummary[] {
    return this.#runs.list
  }
  get runsLoaded() {
    return this.#runs.loaded
  }
  get runId() {
    return this.#runId
  }
  get run(): RunSummary | undefined {
    return this.#runs.find(this.#runId)
  }
  /** Why the shown run was chosen for the user (null once they chose one themselves). */
  get openedBecause(): ReviewRunChoice['reason'] | null {
    return this.#runs.openedBecause(this.#runId)
  }
  get split() {
    return this.#split
  }
  get evaluation() {
    return this.#evaluation
  }
  get evaluationLoaded() {
    return this.#evaluationLoaded
  }
  get error(): string | null {
    return this.evaluateJob.failure ?? this.trainJob.failure ?? this.#error
  }
  get toast() {
    return this.changes.toast
  }
  get history() {
    return this.changes.history
  }
  get classes(): ClassCount[] {
    return this.app.library?.classes ?? []
  }
  get classById(): ReadonlyMap<number, ClassCount> {
    return new Map(this.classes.map((item) => [item.id, item]))
  }

  async start(): Promise<void> {
    await Promise.all([this.refreshRuns(), this.changes.load(), this.evaluateJob.adopt(), this.issues.job.adopt(), this.robustness.job.adopt()])
  }

  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    for (const job of [this.evaluateJob, this.trainJob, this.issues.job, this.robustness.job]) job.dispose()
    this.changes.dispose()
    clearTimeout(this.#settleTimer)
  }

  /** Re-reads the runs; keeps the chosen one, else opens the one ReviewRuns picks. */
  async refreshRuns(): Promise<void> {
    try {
      const replacement = await this.#runs.refresh(this.#runId)
      if (replacement !== undefined) await this.chooseRun(replacement)
    } catch (error) {
      this.#error = messageOf(error)
    }
  }

  /** Shows a run. `remember`: the user chose it, so Review opens on it next time too. */
  async chooseRun(runId: number | null, remember = false): Promise<void> {
    if (remember && runId !== null) this.#runs.remember(runId)
    if (runId === this.#runId && this.#evaluationLoaded) return
    this.#runId = runId
    this.#evaluation = null
    this.#evaluationLoaded = false
    this.items.close()
    this.evaluateJob.clear()
    await Promise.all([this.loadEvaluation(), this.robustness.load(runId)])
    // Opening Review on a run is asking for its metrics: evaluate it rather than offer a button.
    // Once per choice — a failed evaluation leaves its error and the button, never a retry loop.
    if (runId !== null && runId === this.#runId && this.#evaluationLoaded && this.#evaluation === null && !this.#error && !this.evaluateJob.running) {
      await this.evaluate()
    }
  }

  async chooseSplit(split: EvaluationSplit): Promise<void> {
    this.#split = split
    this.items.close()
    await this.loadEvaluation()
    if (this.tab === 'losses') await this.openTopLosses()
  }

  async loadEvaluation(): Promise<void> {
    const runId = this.#runId
    const ticket = ++this.#evaluationTicket
    if (runId === null) return
    try {
      const evaluation = await this.app.api.call('review.evaluation', { runId, split: this.#split })
      if (ticket !== this.#evaluationTicket) return
      this.#evaluation = evaluation
      this.#error = null
    } catch (error) {
      if (ticket === this.#evaluationTicket) this.#error = messageOf(error)
    } finally {
      if (ticket === this.#evaluationTicket) this.#evaluationLoaded = true
    }
  }

  async evaluate(): Promise<void> {
    if (this.#runId === null) return
    this.#error = null
    this.evaluateJob.clear()
    try {
      const { jobId } = await this.app.api.call('review.evaluate', { runId: this.#runId })
      this.evaluateJob.follow(jobId)
    } catch (error) {
      this.#error = messageOf(error)
    }
  }

  /** Trains a new run with the settings of this one (fast for MobileNetV2: features are cached), then evaluates it. */
  async retrain(): Promise<void> {
    const run = this.run
    if (!run) return
    this.#error = null
    this.trainJob.clear()
    const settings: Record<string, unknown> = {}
    for (const key of TRAIN_SETTING_KEYS) if (run.settings[key] !== undefined) settings[key] = run.settings[key]
    try {
      // A run from before a setting existed is retrained the way it was trained (recordedSettings).
      const { runId, jobId } = await this.app.api.call('train.start', { settings: recordedSettings(settings) })
      this.#retrainRunId = runId
      this.trainJob.follow(jobId)
    } catch (error) {
      this.#error = messageOf(error)
    }
  }

  async openCell(trueClassId: number, predictedClassId: number): Promise<void> {
    if (this.#runId === null) return
    await this.items.open({ kind: 'cell', runId: this.#runId, split: this.#split, trueClassId, predictedClassId })
  }

  async openTopLosses(): Promise<void> {
    if (this.#runId === null) return
    await this.items.open({ kind: 'topLoss', runId: this.#runId, split: this.#split, mistakesOnly: this.mistakesOnly })
  }

  async showMistakesOnly(on: boolean): Promise<void> {
    this.mistakesOnly = on
    await this.openTopLosses()
  }

  async showTab(tab: ReviewTab): Promise<void> {
    this.tab = tab
    if (tab === 'losses') await this.openTopLosses()
    else if (tab === 'matrix') this.items.close()
    else if (tab === 'issues' && !this.issues.loaded) await this.issues.refresh()
  }

  /** A class hotkey pressed over the image grid. */
  async relabelHotkey(key: string): Promise<void> {
    const target = this.classes.find((item) => item.hotkey === key)
    if (target) await this.relabel(target.id)
  }

  async relabel(classId: number | null): Promise<void> {
    await this.#afterChange(await this.changes.act(() => this.items.relabel(classId)))
  }

  async decideIssue(decision: 'accept' | 'reject'): Promise<void> {
    const issue = this.issues.current
    if (!issue) return
    const updated = await this.issues.decide(issue.imageId, decision)
    if (updated && decision === 'accept') {
      const name = this.classById.get(updated.suggestedClassId)?.name ?? 'the suggestion'
      this.changes.show(`Relabeled ${updated.relPath} as ${name}`)
      await this.loadEvaluation()
    }
  }

  async undo(): Promise<void> {
    await this.#afterChange(await this.changes.undo(), true)
  }

  async redo(): Promise<void> {
    await this.#afterChange(await this.changes.redo(), true)
  }

  /**
   * After a label change made here: the metrics are re-read at once without waiting for them, so
   * the next key is handled as soon as main has committed this one. After undo/redo the list itself
   * is re-read first, so the next key acts on the image that came back.
   */
  async #afterChange(change: LabelChange | null, reloadList = false): Promise<void> {
    if (!change) return
    void this.loadEvaluation()
    if (reloadList) await Promise.all([this.items.reload(), this.issues.loaded ? this.issues.refresh() : Promise.resolve()])
  }

  #onEvaluated(job: JobProgress): void {
    if (job.state !== 'done') return
    void this.loadEvaluation()
    if (this.tab === 'losses') void this.openTopLosses()
    else void this.items.reload()
  }

  async #onRetrained(job: JobProgress): Promise<void> {
    const runId = this.#retrainRunId
    this.#retrainRunId = null
    if (job.state !== 'done' || runId === null) return
    await this.refreshRuns()
    this.changes.show(`Run #${runId} trained; evaluating it`)
    // Choosing the new, never-evaluated run evaluates it; it is the one being reviewed from now on.
    await this.chooseRun(runId, true)
  }

  /**
   * Labels changed (here, in another view or window): the metrics, the open list and the issues
   * are re-read once the burst settles (they are computed from predictions, not moved by deltas).
   * Undo/redo and the class counts follow the change itself (UndoToastState, AppState).
   */
  #settle(): void {
    clearTimeout(this.#settleTimer)
    this.#settleTimer = setTimeout(() => {
      void this.loadEvaluation()
      void this.items.reload()
      if (this.issues.loaded) void this.issues.refresh()
    }, SETTLE_MS)
  }
}

function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error)
}
