// Response and event payload types shared by main and renderer. Plain data only: everything here
// crosses a process boundary as structured-clone or JSON.
import type { z } from 'zod'
import type { TRAIN_BACKENDS, trainSettingsSchema } from './train-settings'
import type { ReportResult } from './report'

/** Which app shell runs the services: the desktop app, browser mode (`pictor ui`), or a CLI command. */
export type AppShell = 'electron' | 'browser' | 'cli'

export type BackendName = (typeof TRAIN_BACKENDS)[number]

export interface BackendReport {
  /** The backend training will use: the best one present, in the order the engine prefers. */
  selected: BackendName
  /** Human-readable, for the status bar. */
  label: string
  /** Every backend with whether its package is installed here. */
  candidates: { name: BackendName; packageName: string; installed: boolean }[]
}

export interface AppInfo {
  version: string
  transport: AppShell
  platform: string
  /** Electron gives native open/save dialogs; browser mode asks for a path instead. */
  nativeDialogs: boolean
  dataDir: string
  backend: BackendReport
  /** The engine for feature extraction and prediction (ONNX Runtime when installed). */
  inference: InferenceReport
  /**
   * Where a new project goes when the user types only a name: $PICTOR_PROJECTS_DIR, else ~/Pictor.
   * Made when the first project is created there.
   */
  defaultProjectFolder: string
}

export interface ProjectSummary {
  path: string
  name: string
  schemaVersion: number
  createdAt: number
  /** Opened read-only (a read-only file or folder): it can be looked at; changes answer READ_ONLY. */
  readOnly: boolean
}

/** A consistent copy of a project, made by SQLite's online backup, in the data folder. */
export interface BackupInfo {
  /** Its time, as an id: 2025-06-01T12-00-00-000Z. */
  id: string
  createdAt: number
  /** After a schema upgrade, or the regular copy made at most once per hour of work. */
  reason: 'migration' | 'periodic'
  schemaVersion: number
  bytes: number
  /** The copy itself (a .pictor file that Pictor can open). */
  file: string
}

export interface BackupRestoreResult {
  /** The project that was restored. */
  path: string
  restored: BackupInfo
  /** Where the file it replaced was kept (beside the project), or null when there was none. */
  keptAside: string | null
}

export interface RecentProject {
  path: string
  name: string
  openedAt: number
  /** False when the file has gone since it was last opened. */
  exists: boolean
}

export interface ClassCount {
  id: number
  name: string
  /** '#rrggbb' */
  color: string
  /** The key that assigns this class while labeling: '1'–'9' or a letter; null for none. */
  hotkey: string | null
  position: number
  /** Usable images carrying this label. */
  count: number
}

/**
 * What a label change did, so every view updates exactly what it touched without asking again: the
 * response of the call that made it and the `labels.changed` event both carry it.
 */
export interface LabelChange {
  /** Unique per change: a window that applied its own call's answer skips the event of the same change. */
  changeId: string
  description: string
  imageIds: number[]
  /** Undo/redo as they stand after this change. */
  history: LabelHistory
  counts: LabelCountChanges
  /** The live classes with their counts when classes themselves changed (created, edited, merged, deleted, restored); else null. */
  classes: ClassCount[] | null
}

/** How one label change moved the counts the Library, the class palette and the suggest bar show. */
export interface LabelCountChanges {
  /** Usable images gained (+) or lost (−) per class; classes that did not move are left out. */
  perClass: { classId: number; delta: number }[]
  /** Usable labeled images gained (+) or lost (−); the unlabeled count moves the other way. */
  labeled: number
  /**
   * Visible suggestions hidden (−1: the image got a label) or shown again (+1: unlabeled again), at
   * the whole percent "Accept all ≥ N%" counts each one at. Empty when classes changed: re-read then.
   */
  suggestions: { percent: number; delta: number }[]
  /** LibrarySummary.labelsPerMinute after this change. */
  labelsPerMinute: number
}

export interface LabelHistory {
  /** Description of what Ctrl+Z would undo, or null. */
  undo: string | null
  redo: string | null
}

export interface LibrarySummary {
  total: number
  labeled: number
  unlabeled: number
  failed: number
  classes: ClassCount[]
  /**
   * Images labeled per minute of active labeling in the last 10 minutes: pauses between label
   * actions count up to 30 s each, so idle time does not dilute it; 0 until there is a pace to tell.
   */
  labelsPerMinute: number
  /** The newest training run with a model, or null before the first one (the first-run guide shows until then). */
  trainedRunId: number | null
}

export type JobState = 'running' | 'done' | 'failed' | 'cancelled'

export interface JobProgress {
  jobId: string
  kind: string
  state: JobState
  done: number
  total: number | null
  message: string
  ratePerSecond: number | null
  etaSeconds: number | null
  /** Kind-specific detail (training: TrainingProgress). */
  detail?: TrainingProgress | null
  /**
   * What the job produced, on its last event, for jobs whose starter needs it (a CLI command follows
   * its own job by id and reads its result here instead of asking for "the latest" afterwards).
   */
  result?: JobResult
}

/** The result a finished job publishes on its last progress event, by kind. */
export type JobResult = { kind: 'import'; report: ImportReport } | { kind: 'report'; report: ReportResult }

export type ImageSplit = 'train' | 'val' | 'test'

/** The report of one folder import (see src-main/import/import-report.ts for the meaning of each count). */
export interface ImportReport {
  folder: string
  imported: number
  updated: number
  unchanged: number
  removed: number
  skipped: number
  duplicates: number
  failed: number
  errors: { path: string; code: string; message: string }[]
  classes: Record<string, number>
  splits: Record<ImageSplit, number>
  cancelled: boolean
  durationMs: number
  imagesPerSecond: number
}

export interface ImportRunSummary {
  folder: string
  /** 'interrupted': the app stopped (crash, kill) while it ran; importing the folder again resumes it. */
  status: 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted'
  startedAt: number
  finishedAt: number | null
  report: ImportReport | null
}

export interface ImageSummary {
  id: number
  relPath: string
  status: 'ok' | 'failed' | 'missing'
  /** Names the thumbnail (`/thumbs/<hash>.webp`); null for files that failed. */
  contentHash: string | null
  className: string | null
  split: ImageSplit | null
  errorCode: string | null
  errorMessage: string | null
}

export interface ImagePage {
  total: number
  items: ImageSummary[]
}

/** Which images the grid shows, in which order. */
export interface ImageQuery {
  status: 'ok' | 'failed' | 'missing' | 'all'
  /** 'labeled', 'unlabeled', or one class id. */
  label?: 'labeled' | 'unlabeled' | number
  split?: ImageSplit | 'none'
  /** Only images whose exact bytes occur more than once. */
  duplicates?: boolean
  /** Case-insensitive part of the file path. */
  search?: string
  sort: 'imported' | 'name' | 'class' | 'size' | 'uncertainty'
  descending?: boolean
  /** Only images with (true) or without (false) a model suggestion. */
  suggested?: boolean
}

export interface ImageDetail {
  id: number
  relPath: string
  rootPath: string
  status: 'ok' | 'failed' | 'missing'
  contentHash: string | null
  classId: number | null
  labelOrigin: 'folder' | 'user' | 'model' | 'import' | null
  folderClass: string | null
  split: ImageSplit | null
  splitOrigin: 'folder' | 'auto' | 'user' | null
  width: number | null
  height: number | null
  format: string | null
  bytes: number
  mtimeMs: number
  errorCode: string | null
  errorMessage: string | null
  phash: string | null
  /** The model's suggestion while the image is unlabeled (see 'suggestions.compute'). */
  suggestion: Suggestion | null
}

export interface SplitRatios {
  train: number
  val: number
  test: number
}

export interface BalanceRow {
  classId: number
  name: string
  color: string
  train: number
  val: number
  test: number
  /** Labeled images with no split yet. */
  none: number
  total: number
}

export interface BalanceReport {
  ratios: SplitRatios
  classes: BalanceRow[]
  unlabeled: number
  /** Largest class ÷ smallest class, or null with fewer than two non-empty classes. */
  imbalanceRatio: number | null
  warnings: string[]
  /** The last "Assign splits", while it can be undone (contract/splits.ts). */
  undo: SplitUndoInfo | null
}

/** The split step that `splits.undo` would take back. */
export interface SplitUndoInfo {
  /** When it was applied (ms since the epoch). */
  at: number
  /** Images it changed. */
  moved: number
}

export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted'

/** One epoch of a run, as stored and as drawn in the curves. */
export interface EpochMetrics {
  epoch: number
  loss: number
  accuracy: number
  valLoss: number | null
  valAccuracy: number | null
  imagesPerSecond: number
  seconds: number
  batchSize: number
  /** 2 for the epochs of a run's second stage (MobileNetV2 fine-tuning the top blocks); absent: the first. */
  stage?: number
}

/** What the Train view and `pictor train` choose; defaults are filled in by the contract (train-settings.ts, the one source of keys and defaults). */
export type TrainSettings = z.output<typeof trainSettingsSchema>

export interface RunResult {
  epochsRun: number
  bestEpoch: number | null
  valAccuracy: number | null
  testAccuracy: number | null
  imagesPerSecond: number
  stoppedEarly: boolean
  notes: string[]
}

export interface RunSummary {
  id: number
  modelKind: string
  status: RunStatus
  settings: Record<string, unknown>
  backend: string | null
  classNames: string[]
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  error: string | null
  summary: RunResult | null
  epochs: EpochMetrics[]
  /** The run's own folder of TensorBoard event files and its report (`<log root>/run-N`); null before schema v13 and for imported runs. */
  logDir: string | null
  hasModel: boolean
  /** Killed midway with a checkpoint: training can continue from its last finished epoch. */
  resumable: boolean
}

/** Live detail of a training job, carried by its job.progress events. */
export interface TrainingProgress {
  runId: number
  epoch: number
  epochs: number
  batch: number
  batchesPerEpoch: number
  loss: number | null
  accuracy: number | null
  imagesPerSecond: number | null
  /** Set on the event that ends an epoch. */
  epochMetrics: EpochMetrics | null
  backend: string
  notice: string | null
  /**
   * What the run is doing. 'extracting': a MobileNetV2 run computes its base-model features before
   * its first epoch (`extracted` counts them; epoch, batch and loss are not meaningful yet, and
   * `backend` is ''). 'training': the loop runs. Absent from builds before it was added: training.
   */
  phase?: TrainingPhase
  /** Features computed so far, of those the run needs that were not cached; set while extracting. */
  extracted?: { done: number; total: number } | null
}

export type TrainingPhase = 'extracting' | 'training'

/** A base model (e.g. MobileNetV2) as the Train view shows it. */
export interface BaseModelStatus {
  id: string
  title: string
  installed: boolean
  /** model.json of the installed (or expected) model. */
  path: string
  /** Bytes of its weight files; 0 when not installed. */
  bytes: number
  /** Feature-cache key, e.g. `mobilenet_v2_1.0_224@imagenet:1a2b3c4d5e6f`; null when not installed. */
  version: string | null
  /** Set when the folder exists but is not usable. */
  problem?: string
}

// ---- Review (issue 8) -------------------------------------------------------------------------

/** Which labeled images an evaluation covers. 'all' is every labeled image, training ones included. */
export type EvaluationSplit = 'train' | 'val' | 'test' | 'all'

export interface ClassMetrics {
  classId: number
  name: string
  /** null when the model never predicted this class (0/0). */
  precision: number | null
  /** null when the class has no images in the split. */
  recall: number | null
  f1: number | null
  /** Images whose current label is this class. */
  support: number
}

/**
 * A run's predictions scored against the project's *current* labels, so a relabel shows at once.
 * Rows and columns of `confusion` follow `classIds` (the run's output classes, in output order).
 */
export interface Evaluation {
  runId: number
  split: EvaluationSplit
  classIds: number[]
  labels: string[]
  /** Images scored: labeled with one of the run's classes and predicted. */
  count: number
  accuracy: number | null
  perClass: ClassMetrics[]
  /** confusion[true][predicted] = count of images. */
  confusion: number[][]
  computedAt: number
  /** Labels changed after the model was trained: its predictions no longer reflect what it would learn now. */
  stale: boolean
  /** Labeled images of the split without a prediction (labeled or imported after the evaluation). */
  unscored: number
  /** Which engine computed the predictions, e.g. 'onnxruntime' or 'tfjs-wasm'. */
  engine: string
}

/** One image as the Review view lists it (a confusion cell, top losses). */
export interface ReviewItem {
  imageId: number
  relPath: string
  contentHash: string | null
  split: ImageSplit | null
  trueClassId: number | null
  predictedClassId: number
  /** Probability of the predicted class. */
  confidence: number
  /** Probability the model gave the current label (null when unlabeled or not a run class). */
  trueProbability: number | null
  /** Cross-entropy −ln p(true); null when trueProbability is. */
  loss: number | null
}

/** The run the Review view opens on, and why that one. */
export interface ReviewRunChoice {
  runId: number
  /** 'remembered': last chosen in Review; 'test' / 'validation': best accuracy on that split; 'latest': no run has one. */
  reason: 'remembered' | 'test' | 'validation' | 'latest'
}

export type IssueDecision = 'pending' | 'accepted' | 'rejected'

/** An image confident learning suspects to carry the wrong label. */
export interface LabelIssue {
  imageId: number
  relPath: string
  contentHash: string | null
  givenClassId: number
  suggestedClassId: number
  /** Out-of-fold probability of the given label. */
  selfConfidence: number
  /** Out-of-fold probability of the suggested class. */
  suggestedConfidence: number
  decision: IssueDecision
}

export interface LabelIssueReport {
  computedAt: number
  folds: number
  /** Labeled images that got an out-of-fold prediction. */
  examined: number
  /** Every flagged image, decided ones included; most suspicious first. */
  issues: LabelIssue[]
  /** Labels changed since: the ranking may be out of date. */
  stale: boolean
}

export interface RobustnessPoint {
  /** Perturbation size in pixel units of 0–255 scaled to [0,1], e.g. 2/255. */
  epsilon: number
  /**
   * Images still classified right after FGSM at every step size up to ε (an attacker with budget ε may
   * use any smaller step), so it never rises with ε.
   */
  accuracy: number
  /**
   * Plain one-step FGSM at exactly ε. Can rise again with ε: on MobileNetV2 a single large step
   * overshoots (measured: 4 % at 1/255, 21 % at 8/255), which is why `accuracy` is the headline.
   * Missing in reports stored before it was recorded.
   */
  singleStep?: number
}

/** Accuracy under FGSM perturbations of the run's test (or validation) images. */
export interface RobustnessReport {
  runId: number
  computedAt: number
  split: ImageSplit
  count: number
  points: RobustnessPoint[]
}

/** The model's guess for an unlabeled image (model-assisted labeling). */
export interface Suggestion {
  classId: number
  confidence: number
  runId: number
}

export interface SuggestionSummary {
  runId: number
  computedAt: number
  /** Unlabeled images with a suggestion. */
  count: number
  /** atLeast[n] (n = 0…100): how many of those have confidence ≥ n/100, for "Accept all ≥ N%". */
  atLeast: number[]
}

// ---- Export and inference (issue 7) -----------------------------------------------------------

export type ExportFormat = 'onnx' | 'tfjs'

export interface ExportResult {
  runId: number
  dir: string
  /** Paths of the written files, relative to dir. */
  files: string[]
  /**
   * The user's own entries found in the format folders and left as they were (relative to dir):
   * Pictor replaces only the files it wrote, as its manifest (pictor-manifest.json) lists them.
   */
  kept: string[]
  /** How to use each written model (also in its README.md): loading code with the exact preprocessing. */
  snippets?: { format: ExportFormat; language: 'python' | 'javascript'; code: string }[]
}

export interface InferenceReport {
  /** The engine inference (features, predictions) uses: ONNX Runtime when installed, else tfjs. */
  engine: 'onnxruntime' | 'tfjs'
  label: string
}

// ---- Choosing files and folders in browser mode (issue 14)
export interface FolderEntry {
  name: string
  path: string
  kind: 'folder' | 'file'
  /** Files only; null for folders. */
  bytes: number | null
}

/** A starting point offered beside the listing: the home folder, the projects folder, mounted volumes. */
export interface FolderPlace {
  name: string
  path: string
}

export interface FolderListing {
  /** The folder listed (its real path). */
  path: string
  /** Its parent, or null where browsing stops (the top of the home folder or a volume). */
  parent: string | null
  places: FolderPlace[]
  /** Folders first, then files (only when extensions were asked for), each by name. */
  entries: FolderEntry[]
  /** Hidden entries left out (names starting with a dot); showHidden lists them. */
  hidden: number
  /** More entries than one listing shows; the first ones by name are given. */
  truncated: boolean
}
