import { z } from 'zod'
import { absolutePath } from './paths'

// Dataset export from the app (issue 15, the Export view's Dataset tab): the same job as `pictor dataset
// export`, run in a worker as a 'dataset-export' job (progress as job events, cancel with jobs.cancel).
// The call answers with the counts once the export has ended, as export.run does.

function returns<T>(): T {
  return undefined as T
}

/** The formats and split filters of src-main/dataset/dataset-plan.ts, spelled here so the renderer can read them. */
export const DATASET_EXPORT_FORMATS = ['keras', 'imagefolder', 'csv', 'webdataset'] as const
export type DatasetExportFormat = (typeof DATASET_EXPORT_FORMATS)[number]
export const DATASET_EXPORT_SPLITS = ['all', 'train', 'val', 'test'] as const
export type DatasetExportSplit = (typeof DATASET_EXPORT_SPLITS)[number]
/** The job's kind in job.progress events. */
export const DATASET_EXPORT_JOB = 'dataset-export'
export const DEFAULT_SHARD_MIB = 512

export const datasetMethods = {
  /**
   * Exports the open project's labeled images into `dir` (a new or empty folder inside an existing one:
   * NOT_FOUND without that parent, ALREADY_EXISTS for a folder holding anything). `mode` auto hard-links where the file system allows and copies elsewhere; link
   * fails instead of copying; webdataset always copies into its shards of at most `shardMib` MiB.
   */
  'dataset.export': {
    request: z
      .object({
        dir: absolutePath('a folder for the dataset'),
        format: z.enum(DATASET_EXPORT_FORMATS),
        split: z.enum(DATASET_EXPORT_SPLITS).default('all'),
        mode: z.enum(['auto', 'link', 'copy']).default('auto'),
        includeUnlabeled: z.boolean().default(false),
        shardMib: z.number().positive().max(1_000_000).default(DEFAULT_SHARD_MIB)
      })
      .strict()
      .refine((request) => !(request.format === 'webdataset' && request.mode === 'link'), 'webdataset copies the images into its tar shards; hard links do not apply'),
    response: returns<DatasetExportSummary>()
  }
} as const

/** A split folder of the export: train, val, test, or unsplit (labeled images no split was assigned to). */
export type DatasetSplitFolder = 'train' | 'val' | 'test' | 'unsplit'

/** What an export wrote (the same shape as `pictor dataset export --json`). */
export interface DatasetExportSummary {
  format: DatasetExportFormat
  dir: string
  split: DatasetExportSplit
  images: number
  linked: number
  copied: number
  /** In the project's class order (a model's output order), with the folder each was written to. */
  classes: { index: number; name: string; folder: string }[]
  /** Split folder → exact class name → images exported. */
  counts: Partial<Record<DatasetSplitFolder, Record<string, number>>>
  /** Unlabeled images exported (include-unlabeled), by split folder. */
  unlabeled: Partial<Record<DatasetSplitFolder, number>>
  /** Images not exported: unreadable, missing files, unlabeled (not asked for), in other splits. */
  leftOut: { failed: number; missing: number; unlabeled: number; otherSplits: number }
  /** webdataset only: the shards at the top of `dir`, in the order written. */
  shards?: { file: string; images: number; bytes: number }[]
}
