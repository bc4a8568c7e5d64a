import { z } from 'zod'
import type { DatasetExportSummary } from './dataset'
import { absolutePath } from './paths'

// The cluster bundle from the app (issue 15, the Export view's Cluster bundle tab): the same folder
// `pictor bundle` writes (dataset, ImageNet weights, feature check, config.json, train.py, README.md),
// run in a worker as a 'bundle' job (progress as job events, cancel with jobs.cancel). The call answers
// with what was written once the job has ended, as dataset.export does.

function returns<T>(): T {
  return undefined as T
}

/** auto: WebDataset shards above 100,000 labeled images, class folders below (src-main/bundle/write-bundle.ts). */
export const BUNDLE_FORMATS = ['auto', 'imagefolder', 'webdataset'] as const
export type BundleFormatChoice = (typeof BUNDLE_FORMATS)[number]
/** The job's kind in job.progress events. */
export const BUNDLE_JOB = 'bundle'

export const bundleMethods = {
  /**
   * Writes a training bundle of the open project into `dir` (a new or empty folder inside an existing
   * one: NOT_FOUND without that parent, ALREADY_EXISTS for a folder holding anything; NOT_FOUND too when
   * the MobileNetV2 base model is not installed). `mode` auto hard-links the images where the file system
   * allows and copies elsewhere; copy always copies (WebDataset shards always hold copies).
   */
  'bundle.write': {
    request: z
      .object({
        dir: absolutePath('a folder for the bundle'),
        format: z.enum(BUNDLE_FORMATS).default('auto'),
        mode: z.enum(['auto', 'copy']).default('auto')
      })
      .strict(),
    response: returns<BundleResult>()
  }
} as const

/** What a bundle holds and what to run next (the same shape as `pictor bundle --json`). */
export interface BundleResult {
  dir: string
  format: 'imagefolder' | 'webdataset'
  images: number
  /** In the project's class order (the model's output order). */
  classes: string[]
  /** Split folder → exact class name → images in the bundle's dataset. */
  counts: DatasetExportSummary['counts']
  leftOut: DatasetExportSummary['leftOut']
  linked: number
  copied: number
  baseModelVersion: string
  /** Where the training settings came from: a run, or Pictor's defaults. */
  settingsFrom: string
  /** The commands the bundle's README gives: a quick check there, training on one machine, and bringing the model back here. */
  commands: { smokeTest: string; oneMachine: string; bringBack: string }
}
