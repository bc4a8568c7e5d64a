import { z } from 'zod'
import { absolutePath } from './paths'

// A run's report (issue 17): one self-contained HTML file (no script, thumbnails inline) written by a
// 'report' job in a worker, which evaluates the run first when it has no stored evaluation. The run's
// own report lives in its log folder and is served to the page at /reports/<runId> (never from a path
// the page sends); "Save as" writes a copy wherever the user chooses.

function returns<T>(): T {
  return undefined as T
}

/** The job's kind in job.progress events; its last event carries `{ kind: 'report', report: ReportResult }`. */
export const REPORT_JOB = 'report'

/** Where the page loads a run's report from (both app shells answer it: src-main/server/app-routes.ts). */
export const REPORT_ROUTE_PREFIX = '/reports/'

export function reportUrl(runId: number): string {
  return `${REPORT_ROUTE_PREFIX}${runId}`
}

const runId = z.number().int().positive()

export const reportMethods = {
  /**
   * Writes a report of a finished run with a model (BUSY while another report is written). Without
   * `path` it goes to the run's log folder (replacing the one there); with `path` (an .html file in an
   * existing folder) it is written there, ALREADY_EXISTS for a file already there unless `overwrite`.
   */
  'report.create': {
    request: z
      .object({
        runId,
        path: absolutePath('a file for the report').optional(),
        overwrite: z.boolean().default(false)
      })
      .strict(),
    response: returns<{ runId: number; jobId: string }>()
  },
  /** The run's report in its log folder, as it is now; null when the run has no log folder. */
  'report.status': { request: z.object({ runId }).strict(), response: returns<ReportFile | null>() }
} as const

/** What a finished 'report' job wrote. */
export interface ReportResult {
  runId: number
  path: string
  bytes: number
  /** The run had no stored evaluation, so the job evaluated it first. */
  evaluated: boolean
  seconds: number
}

/** A run's report file in its log folder. */
export interface ReportFile {
  path: string
  exists: boolean
  /** 0 while it does not exist. */
  bytes: number
  /** Milliseconds since the epoch; null while it does not exist. */
  writtenAt: number | null
}
