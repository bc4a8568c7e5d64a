import { z } from 'zod'
import { absolutePath } from './paths'
import type { LabelChange } from './types'

// Label import from the app (issue 15, Library → "Import labels from a CSV…"): what `pictor labels
// import` does, as one call. A dry run reports what the file would change; applying writes it as one
// undo step (origin 'import') and announces it as a `labels.changed` event like any label change.
// The reading and matching live in src-main/dataset/label-import.ts, applying in
// src-main/services/label-import.ts; the shapes they answer are declared here, so the renderer reads them.

function returns<T>(): T {
  return undefined as T
}

/** The column a file's rows are matched to images by: the image's file path, or its content hash. */
export const MATCH_BY = ['path', 'sha256'] as const
export type MatchBy = (typeof MATCH_BY)[number]

export const labelImportMethods = {
  /**
   * Reads a label CSV (a `label` column and a `path` or `sha256` one) and matches it to the open
   * project's images. `by` left out: sha256 when the file has that column, else path. With `dryRun`
   * nothing is written (allowed on a read-only project); without it the labels are applied.
   */
  'labels.importCsv': {
    request: z
      .object({
        file: absolutePath('a label CSV file'),
        by: z.enum(MATCH_BY).optional(),
        dryRun: z.boolean()
      })
      .strict(),
    response: returns<LabelImportAnswer>()
  }
} as const

export interface LabelImportReport {
  file: string
  by: MatchBy
  /** True when --by was not given and the file decided (see chooseMatch). */
  byDefault: boolean
  rows: {
    total: number
    /** Rows that named at least one image. */
    matched: number
    /** Rows that named no image of the project. */
    unmatched: number
    /** Rows with an empty label (an export with --include-unlabeled writes them): left alone. */
    withoutLabel: number
  }
  images: {
    /** Unlabeled now, labeled by the import. */
    labeled: number
    /** Labeled differently now: the import changes their label. */
    changed: number
    /** Already carrying the file's label. */
    unchanged: number
    /** Given two or more different labels by the file: left as they are. */
    conflicting: number
  }
  /** Labels no live class has: created when the import is applied. */
  newClasses: string[]
  /** The first SAMPLE_LIMIT unmatched rows. */
  unmatched: { line: number; value: string }[]
  /** The first SAMPLE_LIMIT conflicting images, with the labels the file gives each. */
  conflicts: { path: string; labels: string[] }[]
}

/** What `pictor labels import --json` prints. */
export interface LabelImportResult extends LabelImportReport {
  dryRun: boolean
  /** True when labels or classes were written. */
  applied: boolean
  /** The undo step the import became (what Ctrl+Z says it undoes), or null when nothing changed. */
  undo: string | null
}

/**
 * labels.importCsv's answer: the result and, when applied, the change as the `labels.changed` event
 * carries it (same changeId), so the window that applied it moves its counts once, as labels.assign does.
 */
export interface LabelImportAnswer extends LabelImportResult {
  change: LabelChange | null
}
