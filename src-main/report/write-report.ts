// The 'report' job: one run's model card as a self-contained HTML file in the run's folder (beside
// its TensorBoard logs). A run never evaluated is evaluated first (the Review view's job), since the
// metrics are most of what a report says.
import type { Database } from 'better-sqlite3'
import type { BackendName } from '../contract/types'
import { writeFileAtomic } from '../core/atomic-write'
import { runWithModel } from '../classifier/run-choice'
import { AppError, toAppError } from '../core/errors'
import { runReportPath } from '../core/run-folders'
import { withJobDatabase } from '../db/connection'
import { getRunEvaluation } from '../db/queries/run-evaluations'
import type { JobContext } from '../jobs/job'
import { evaluateRun } from '../review/evaluate-job'
import { gatherReportData } from './report-data'
import { renderReport } from './report-html'

export interface ReportInput {
  projectPath: string
  modelsDir: string
  cacheDir?: string | null
  /** <data folder>/thumbnails (ThumbnailStore); null: thumbnails made from the image files with sharp */
  thumbnailsDir: string | null
  runId: number
  /** Default: the run's own report path (runReportPath in src-main/core/run-folders.ts). */
  outPath?: string | null
  backend?: BackendName | null
}

export interface ReportResult {
  runId: number
  path: string
  bytes: number
  /** the run had no stored evaluation and was evaluated first */
  evaluated: boolean
  seconds: number
}

const CANCELLED_MESSAGE = 'the report was cancelled; nothing was written'

export function writeRunReport(input: ReportInput, context: JobContext): Promise<ReportResult> {
  return withJobDatabase(input.projectPath, (db) => reportWith(db, input, context))
}

async function reportWith(db: Database, input: ReportInput, { signal, onProgress }: JobContext): Promise<ReportResult> {
  const started = performance.now()
  const run = runWithModel(db, input.runId, 'to report on')
  const path = input.outPath ?? runReportPath(input.projectPath, run)
  try {
    const evaluated = getRunEvaluation(db, run.id) === undefined
    if (evaluated) {
      onProgress({ done: 0, total: null, message: `Run ${run.id} was never evaluated: evaluating it first…`, important: true })
      await evaluateRun(
        { projectPath: input.projectPath, modelsDir: input.modelsDir, cacheDir: input.cacheDir ?? null, runId: run.id, backend: input.backend ?? null },
        { signal, onProgress }
      )
    }
    signal.throwIfAborted()
    onProgress({ done: 0, total: 3, message: `Gathering run ${run.id}'s figures…` })
    const data = await gatherReportData(db, run, {
      projectPath: input.projectPath,
      thumbnailsDir: input.thumbnailsDir,
      signal,
      onStep: (message) => onProgress({ done: 1, total: 3, message })
    })
    signal.throwIfAborted()
    onProgress({ done: 2, total: 3, message: `Writing ${path}…` })
    const text = renderReport(data)
    const bytes = Buffer.byteLength(text)
    try {
      await writeFileAtomic(path, text)
    } catch (error) {
      throw toAppError(error, `the report ${path}`) ?? error
    }
    onProgress({ done: 3, total: 3, message: `Wrote the report of run ${run.id} to ${path}`, important: true })
    return { runId: run.id, path, bytes, evaluated, seconds: (performance.now() - started) / 1000 }
  } catch (error) {
    if (signal.aborted) throw new AppError('CANCELLED', CANCELLED_MESSAGE)
    throw error
  }
}
