import { z } from 'zod'
import { absolutePath } from './paths'
import { TRY_IMAGE_MAX_BASE64, tooLargeMessage } from './try-image'

// Predicting a folder from the app (issue 14): `predict.start` runs a job that classifies every image
// below a folder with a run of the open project or a model Pictor exported; its rows stay in main
// (compact, at most a few jobs' worth) and the Predict view reads them a page at a time, filtered,
// so a folder of 100,000 images never crosses to the renderer whole. `predict.saveCsv` writes them in
// `pictor predict --csv`'s format. Progress and cancel are the job's ('predict' job events, jobs.cancel).

function returns<T>(): T {
  return undefined as T
}

const jobId = z.string().min(1).max(100)
const probability = z.number().min(0).max(1)

/** Which rows a page or a saved CSV holds. Every condition given must hold. */
export const predictFilterSchema = z
  .object({
    /** Rows whose best class is this one. */
    label: z.string().min(1).max(200).optional(),
    /** Rows whose best probability is at least / at most this. */
    minConfidence: probability.optional(),
    maxConfidence: probability.optional(),
    /** true: only files that could not be read; false: only predicted ones. */
    unreadable: z.boolean().optional()
  })
  .strict()

export type PredictFilter = z.input<typeof predictFilterSchema>

export const PREDICT_SORTS = ['path', 'confidence'] as const
export type PredictSort = (typeof PREDICT_SORTS)[number]

export const predictMethods = {
  /**
   * Starts predicting `folder` with run `runId` of the open project (the latest run with a model when
   * neither is given) or with an exported model (`modelPath`: an .onnx file, a TF.js folder or an export
   * folder). Answers once the model has loaded, so a model that cannot load fails here, with its code.
   */
  'predict.start': {
    request: z
      .object({
        folder: absolutePath('a folder to predict'),
        runId: z.number().int().positive().optional(),
        modelPath: absolutePath('an exported model').optional(),
        /** How many classes each row keeps, best first (as `pictor predict --top`). */
        top: z.number().int().min(1).max(20).default(3)
      })
      .strict()
      .refine((request) => request.runId === undefined || request.modelPath === undefined, 'give a runId or a modelPath, not both'),
    response: returns<{ jobId: string }>()
  },
  /** A page of a prediction's rows (the latest prediction without `jobId`; null when there is none). */
  'predict.results': {
    request: z
      .object({
        jobId: jobId.optional(),
        offset: z.number().int().min(0).max(10_000_000).default(0),
        limit: z.number().int().min(0).max(1000).default(100),
        filter: predictFilterSchema.default({}),
        sort: z.enum(PREDICT_SORTS).default('path'),
        descending: z.boolean().default(false)
      })
      .strict(),
    response: returns<PredictPage | null>()
  },
  /** Writes a finished (or cancelled) prediction's rows as `pictor predict --csv` does, optionally filtered. */
  'predict.saveCsv': {
    request: z
      .object({
        jobId,
        path: absolutePath('a CSV file'),
        filter: predictFilterSchema.default({}),
        /** Replace a file that is already there. */
        overwrite: z.boolean().default(false)
      })
      .strict(),
    response: returns<{ path: string; rows: number }>()
  },
  /**
   * Try it: one image, every class with its probability, best first. The model as for
   * `predict.start` (`runId`, `modelPath`, or the latest run with a model); the image either a file
   * (`path`) or, for a file dropped into a browser where no path exists, its bytes in base64. The
   * loaded model stays cached (in a worker thread) per source, so the next try answers in milliseconds.
   */
  'predict.image': {
    request: z
      .object({
        runId: z.number().int().positive().optional(),
        modelPath: absolutePath('an exported model').optional(),
        path: absolutePath('an image').optional(),
        bytes: z.string().max(TRY_IMAGE_MAX_BASE64, tooLargeMessage('the image')).optional(),
        /** The dropped file's name, for messages. */
        name: z.string().trim().min(1).max(255).optional()
      })
      .strict()
      .refine((request) => request.runId === undefined || request.modelPath === undefined, 'give a runId or a modelPath, not both')
      .refine((request) => (request.path === undefined) !== (request.bytes === undefined), 'give the image as a path or as bytes (one of them)'),
    response: returns<PredictedImage>()
  }
} as const

export type PredictSource = { kind: 'run'; runId: number } | { kind: 'model'; path: string }

export interface PredictedRank {
  label: string
  probability: number
}

/** One image tried (`predict.image`). */
export interface PredictedImage {
  source: PredictSource
  /** Every class of the model, best first; the probabilities sum to 1. */
  ranks: PredictedRank[]
  /** 'onnxruntime' or 'tfjs-<backend>'. */
  engine: string
  /** Milliseconds to decode and predict the image (the model already loaded). */
  ms: number
  /** Milliseconds the model took to load for this try; null when it was already cached. */
  loadMs: number | null
  /** The image as a small WebP data URL (upright, at most 480 px), to show it whatever its format. */
  preview: string
}

export interface PredictedRow {
  /** The row's place in the prediction (walk order): names its thumbnail, `/predicted/<jobId>/<index>.webp`. */
  index: number
  /** Relative to the predicted folder, '/'-separated. */
  path: string
  /** Best first; empty when the file could not be read. */
  top: PredictedRank[]
  error: string | null
}

export interface PredictPage {
  jobId: string
  folder: string
  source: PredictSource
  /** The model's classes, in output order. */
  labels: string[]
  /** 'onnxruntime' or 'tfjs-<backend>'. */
  engine: string
  top: number
  state: 'running' | 'done' | 'cancelled' | 'failed'
  /** Why it failed, when it did. */
  error: string | null
  /** Files found below the folder; null until the walk has finished. */
  files: number | null
  /** Rows so far, and of those how many could not be read. */
  received: number
  unreadable: number
  /** Rows per best class, in label order (all rows, whatever the filter). */
  counts: { label: string; count: number }[]
  /** Rows that match the filter; `rows` is [offset, offset + limit) of them. */
  matched: number
  offset: number
  rows: PredictedRow[]
  /** Images per second over the whole run, once it has ended. */
  imagesPerSecond: number | null
}
