import { z } from 'zod'
import { absolutePath, displayName } from './paths'
import { trainSettingsSchema } from './train-settings'
import { predictMethods } from './predict'
import { datasetMethods } from './dataset'
import { bundleMethods } from './bundle'
import { runImportMethods } from './run-import'
import { splitMethods } from './splits'
import { labelImportMethods } from './label-import'
import { serveMethods } from './serve'
import { reportMethods } from './report'
import { runCompareMethods } from './run-compare'
import { runLogsMethods } from './run-logs'
import type {
  BaseModelStatus,
  RunSummary,
  AppInfo,
  BalanceReport,
  ClassCount,
  ImageDetail,
  LabelChange,
  LabelHistory,
  ImagePage,
  ImportRunSummary,
  JobProgress,
  LibrarySummary,
  ProjectSummary,
  RecentProject,
  Evaluation,
  ReviewItem,
  ReviewRunChoice,
  LabelIssue,
  LabelIssueReport,
  RobustnessReport,
  SuggestionSummary,
  ExportResult,
  BackupInfo,
  BackupRestoreResult,
  FolderListing
} from './types'

// The one contract between renderer and main. Each method has a request schema, validated at the
// boundary by the dispatcher, and a response type. Adding a method here makes the compiler demand a
// handler for it (see core/dispatcher.ts) and gives the renderer a typed call.

/** A phantom value that carries a response type through `typeof methods`. */
function returns<T>(): T {
  return undefined as T
}

const empty = z.object({}).strict()

const folderPath = absolutePath('a folder')

const id = z.number().int().positive()
const imageIds = z.array(id).min(1).max(200_000)
const className = displayName('a class needs a name', 100)
const color = z.string().regex(/^#[0-9a-f]{6}$/, 'a colour is #rrggbb in lower case')
const hotkey = z
  .string()
  .regex(/^[0-9a-y]$/, 'a hotkey is one digit or letter (a–y); z is kept for undo')
  .nullable()

const imageQuery = z
  .object({
    status: z.enum(['ok', 'failed', 'missing', 'all']).default('ok'),
    label: z.union([z.enum(['labeled', 'unlabeled']), id]).optional(),
    split: z.enum(['train', 'val', 'test', 'none']).optional(),
    duplicates: z.boolean().optional(),
    search: z.string().max(500).optional(),
    sort: z.enum(['imported', 'name', 'class', 'size', 'uncertainty']).default('imported'),
    descending: z.boolean().optional(),
    suggested: z.boolean().optional()
  })
  .strict()

const evaluationSplit = z.enum(['train', 'val', 'test', 'all'])

const projectPath = absolutePath('a project path')
/** What a file or folder is being chosen for ('import', 'export', 'project', 'weights' …): each remembers its last folder. */
const pickPurpose = z.string().regex(/^[a-z][a-z-]{0,31}$/, 'a purpose is a short lower-case word')
const fileExtensions = z.array(z.string().regex(/^[a-z0-9]{1,10}$/, 'an extension is letters or digits, without the dot')).min(1).max(20)
const pickRequest = z.object({ purpose: pickPurpose.optional() }).strict()
/** A file name a save dialog suggests (no folders): `run-3-report.html`. */
const suggestedName = z
  .string()
  .regex(/^[^\\/\0]{1,200}$/, 'a suggested name is a file name without folders')
  .refine((name) => name !== '.' && name !== '..', 'a suggested name is a file name without folders')
/** A backup's id as `backups.list` gives it (its time, e.g. 2025-06-01T12-00-00-000Z). */
const backupId = z.string().regex(/^[0-9A-Za-z-]{1,64}$/, 'a backup id is what backups.list gives')

export const methods = {
  'app.info': { request: empty, response: returns<AppInfo>() },

  'project.create': {
    request: z
      .object({
        path: projectPath,
        name: displayName('a project needs a name', 200).optional()
      })
      .strict(),
    response: returns<ProjectSummary>()
  },
  'project.open': {
    request: z.object({ path: projectPath }).strict(),
    response: returns<ProjectSummary>()
  },
  'project.close': { request: empty, response: returns<null>() },
  'project.current': { request: empty, response: returns<ProjectSummary | null>() },
  'project.recent': { request: empty, response: returns<RecentProject[]>() },
  'project.forgetRecent': {
    request: z.object({ path: projectPath }).strict(),
    response: returns<RecentProject[]>()
  },

  // Native dialogs exist only under Electron; browser mode answers UNSUPPORTED and the UI shows its
  // own folder browser (files.list). Each starts in the folder last chosen for its purpose.
  'dialog.pickProjectToOpen': { request: pickRequest, response: returns<string | null>() },
  'dialog.pickProjectToCreate': { request: pickRequest, response: returns<string | null>() },
  'dialog.pickFolder': { request: pickRequest, response: returns<string | null>() },
  'dialog.pickFile': {
    request: z.object({ purpose: pickPurpose.optional(), extensions: fileExtensions.optional() }).strict(),
    response: returns<string | null>()
  },
  /** A save dialog for a new file, `name` suggested (the dialog asks before replacing a file). */
  'dialog.pickFileToSave': {
    request: z.object({ purpose: pickPurpose.optional(), name: suggestedName.optional(), extensions: fileExtensions.optional() }).strict(),
    response: returns<string | null>()
  },

  // ---- Choosing files and folders in browser mode (issue 14): a listing confined to the user's
  // home and mounted volumes. Without `path` it starts in the folder last chosen for `purpose`.
  'files.list': {
    request: z
      .object({
        path: absolutePath('a folder').optional(),
        purpose: pickPurpose.optional(),
        showHidden: z.boolean().default(false),
        /** Files with these extensions are listed too (file pickers); without it, folders only. */
        extensions: fileExtensions.optional()
      })
      .strict(),
    response: returns<FolderListing>()
  },
  /** Remembers the folder of a chosen path as the starting point for `purpose` next time. */
  'files.remember': {
    request: z.object({ purpose: pickPurpose, path: absolutePath('a file or folder') }).strict(),
    response: returns<null>()
  },

  'library.summary': { request: empty, response: returns<LibrarySummary>() },

  /** The ids of every image in a filter, in order; the grid fetches details for what is on screen. */
  'images.query': { request: imageQuery, response: returns<{ ids: number[] }>() },
  'images.get': { request: z.object({ ids: z.array(id).max(2000) }).strict(), response: returns<ImageDetail[]>() },

  /** Sets (classId) or clears (null) the label of images: one undoable action, committed before it answers. */
  'labels.assign': {
    request: z.object({ imageIds, classId: id.nullable() }).strict(),
    response: returns<LabelChange>()
  },
  'labels.undo': { request: empty, response: returns<LabelChange | null>() },
  'labels.redo': { request: empty, response: returns<LabelChange | null>() },
  'labels.history': { request: empty, response: returns<LabelHistory>() },

  'classes.list': { request: empty, response: returns<ClassCount[]>() },
  'classes.create': {
    request: z.object({ name: className, color: color.optional(), hotkey: hotkey.optional() }).strict(),
    response: returns<ClassCount>()
  },
  'classes.update': {
    request: z.object({ id, name: className.optional(), color: color.optional(), hotkey: hotkey.optional() }).strict(),
    response: returns<ClassCount>()
  },
  /** Relabels every image of `sourceId` as `targetId`, then deletes the source class (undoable). */
  'classes.merge': { request: z.object({ sourceId: id, targetId: id }).strict(), response: returns<LabelChange>() },
  /** Deletes a class; its images become unlabeled, never deleted (undoable). */
  'classes.delete': { request: z.object({ id }).strict(), response: returns<LabelChange>() },

  'balance.report': { request: empty, response: returns<BalanceReport>() },
  /** Assigns train/val/test to every image whose split was not set by a folder or the user. */
  'splits.assign': { request: empty, response: returns<BalanceReport>() },
  'splits.setRatios': {
    request: z
      .object({ train: z.number().min(0).max(1), val: z.number().min(0).max(1), test: z.number().min(0).max(1) })
      .strict()
      .refine((r) => Math.abs(r.train + r.val + r.test - 1) < 1e-6, 'the ratios must add up to 1'),
    response: returns<BalanceReport>()
  },
  // ---- "Assign splits" with a preview and one undo step (issue 14): contract/splits.ts
  ...splitMethods,
  /** The user's override for some images (null: back to automatic). */
  'images.setSplit': {
    request: z.object({ imageIds, split: z.enum(['train', 'val', 'test']).nullable() }).strict(),
    response: returns<BalanceReport>()
  },

  'images.page': {
    request: z
      .object({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
        status: z.enum(['ok', 'failed', 'missing']).optional()
      })
      .strict(),
    response: returns<ImagePage>()
  },

  /**
   * Starts importing (or re-scanning) a folder into the open project; progress comes as job events.
   * Symbolic links that leave the folder are reported (LINK_OUTSIDE) and not followed unless `followLinks`.
   */
  'import.start': {
    request: z.object({ folder: folderPath, followLinks: z.boolean().default(false) }).strict(),
    response: returns<{ jobId: string }>()
  },
  'import.lastRun': { request: empty, response: returns<ImportRunSummary | null>() },

  /**
   * Starts a training run with these settings (missing ones get defaults); progress comes as job events.
   * Its TensorBoard logs go to `<logRoot>/run-N` (default: `<project name>.runs` beside the project file);
   * `histograms` writes weight histograms every epoch (default: for small models only).
   */
  'train.start': {
    request: z
      .object({
        settings: trainSettingsSchema.partial().strict().default({}),
        logRoot: absolutePath('a log folder').nullable().default(null),
        histograms: z.boolean().nullable().default(null)
      })
      .strict(),
    response: returns<{ runId: number; jobId: string }>()
  },
  /** Continues an interrupted or cancelled run from its last finished epoch. */
  'train.resume': { request: z.object({ runId: id }).strict(), response: returns<{ runId: number; jobId: string }>() },
  /** A few augmented versions of one training image, as PNG data URLs, to see what augmentation does. */
  'train.augmentPreview': {
    request: z.object({ count: z.number().int().min(1).max(24).default(8), seed: z.number().int().min(0).default(1) }).strict(),
    response: returns<{ original: string; augmented: string[] } | null>()
  },
  'runs.list': { request: empty, response: returns<RunSummary[]>() },
  'runs.delete': { request: z.object({ runId: id }).strict(), response: returns<null>() },
  ...runLogsMethods,
  // ---- Comparing runs side by side in the Train view (issue 17): contract/run-compare.ts
  ...runCompareMethods,

  'models.list': { request: empty, response: returns<BaseModelStatus[]>() },
  /** Installs a base model from a Keras .h5 file or a TF.js layers folder on this computer. */
  'models.import': { request: z.object({ path: absolutePath('a model file or folder'), force: z.boolean().default(false) }).strict(), response: returns<BaseModelStatus[]>() },
  /** Downloads the official Keras weights and converts them; progress comes as job events ('model-fetch'). */
  'models.fetch': { request: empty, response: returns<{ jobId: string }>() },

  // ---- Review (issue 8). `runId` left out means the latest finished run with a model.
  /** Predicts every labeled image with a run's model and stores the predictions; progress as job events ('evaluate'). */
  'review.evaluate': { request: z.object({ runId: id.optional() }).strict(), response: returns<{ runId: number; jobId: string }>() },
  /** Metrics and confusion matrix of a run's stored predictions against the current labels; null before 'review.evaluate'. */
  'review.evaluation': {
    request: z.object({ runId: id.optional(), split: evaluationSplit.default('test') }).strict(),
    response: returns<Evaluation | null>()
  },
  /** The images of one confusion-matrix cell, most confident first. */
  'review.cell': {
    request: z
      .object({ runId: id, split: evaluationSplit, trueClassId: id, predictedClassId: id, limit: z.number().int().min(1).max(20_000).default(5000) })
      .strict(),
    response: returns<ReviewItem[]>()
  },
  /** Labeled images ranked by loss, highest first; `mistakesOnly` leaves out those predicted right. */
  'review.topLoss': {
    request: z
      .object({
        runId: id.optional(),
        split: evaluationSplit.default('all'),
        limit: z.number().int().min(1).max(20_000).default(500),
        mistakesOnly: z.boolean().default(false)
      })
      .strict(),
    response: returns<ReviewItem[]>()
  },
  /** The run Review opens: the one last reviewed, else the best by test (else validation) accuracy; null when none has a model. */
  'review.openRun': { request: empty, response: returns<ReviewRunChoice | null>() },
  /** Remembers the run the user chose in Review, for the next time it opens. */
  'review.rememberRun': { request: z.object({ runId: id }).strict(), response: returns<null>() },
  /** Confident learning with k-fold heads on cached features; progress as job events ('label-issues'). */
  'review.findLabelIssues': {
    request: z.object({ folds: z.number().int().min(2).max(10).default(5) }).strict(),
    response: returns<{ jobId: string }>()
  },
  'review.labelIssues': { request: empty, response: returns<LabelIssueReport | null>() },
  /** Accept relabels the image to the suggested class (undoable); reject keeps the label; both are remembered. */
  'review.decideIssue': {
    request: z.object({ imageId: id, decision: z.enum(['accept', 'reject']) }).strict(),
    response: returns<LabelIssue>()
  },
  /** Accuracy under FGSM at ε = 0, 1/255, 2/255, 4/255, 8/255; progress as job events ('robustness'). */
  'review.checkRobustness': {
    request: z.object({ runId: id.optional(), count: z.number().int().min(10).max(5000).default(200) }).strict(),
    response: returns<{ runId: number; jobId: string }>()
  },
  'review.robustness': { request: z.object({ runId: id.optional() }).strict(), response: returns<RobustnessReport | null>() },

  // ---- Model-assisted labeling
  /** Predicts every unlabeled image with a run's model; progress as job events ('suggest'). */
  'suggestions.compute': { request: z.object({ runId: id.optional() }).strict(), response: returns<{ runId: number; jobId: string }>() },
  'suggestions.summary': { request: empty, response: returns<SuggestionSummary | null>() },
  /** Labels images with their suggestion: these ids, or every suggestion at or above minConfidence. One undo step. */
  'suggestions.accept': {
    request: z
      .object({ imageIds: imageIds.optional(), minConfidence: z.number().min(0).max(1).optional() })
      .strict()
      .refine((r) => (r.imageIds === undefined) !== (r.minConfidence === undefined), 'give either imageIds or minConfidence'),
    response: returns<LabelChange>()
  },

  // ---- Export (issue 7)
  /** Writes a run's model as ONNX and/or TF.js layers, each with metadata.json and a README, into `dir`. */
  'export.run': {
    request: z
      .object({
        runId: id.optional(),
        dir: folderPath,
        formats: z.array(z.enum(['onnx', 'tfjs'])).min(1).max(2).default(['onnx', 'tfjs']),
        /** 'int8': the ONNX model quantized (issue 18), compared with float32 on the test split. */
        quantize: z.enum(['none', 'int8']).default('none')
      })
      .strict(),
    response: returns<ExportResult>()
  },

  // ---- Backups (issue 13): consistent copies of a project in the data folder, newest first.
  'backups.list': { request: z.object({ path: projectPath }).strict(), response: returns<BackupInfo[]>() },
  /** Puts a backup (the newest without `id`) in the project's place, keeping the file it replaces aside. */
  'backups.restore': {
    request: z.object({ path: projectPath, id: backupId.optional() }).strict(),
    response: returns<BackupRestoreResult>()
  },

  // ---- Predicting a folder from the app (issue 14): contract/predict.ts
  ...predictMethods,

  // ---- Dataset export from the app (issue 15): contract/dataset.ts
  ...datasetMethods,

  // ---- The cluster bundle from the app (issue 15): contract/bundle.ts
  ...bundleMethods,

  // ---- Importing a classifier trained elsewhere as a run (issue 15): contract/run-import.ts
  ...runImportMethods,

  // ---- Label import from the app (issue 15): contract/label-import.ts
  ...labelImportMethods,

  // ---- Serving a run from the app's Monitor view (issue 16): contract/serve.ts
  ...serveMethods,

  // ---- A run's self-contained HTML report (issue 17): contract/report.ts
  ...reportMethods,

  'jobs.list': { request: empty, response: returns<JobProgress[]>() },
  'jobs.cancel': { request: z.object({ jobId: z.string().min(1).max(100) }).strict(), response: returns<null>() }
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type RequestOf<M extends MethodName> = z.input<Methods[M]['request']>
export type ParsedRequestOf<M extends MethodName> = z.output<Methods[M]['request']>
export type ResponseOf<M extends MethodName> = Methods[M]['response']

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name)
}
