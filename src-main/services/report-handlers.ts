import { stat } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import type { ReportResult } from '../contract/report'
import { REPORT_JOB } from '../contract/report'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { runWithModel } from '../classifier/run-choice'
import { getRunEvaluation } from '../db/queries/run-evaluations'
import { runInWorker } from '../jobs/worker-job'
import type { ReportInput } from '../report/write-report'
import reportWorkerPath from '../workers/report-worker?modulePath'
import type { ServiceContext } from './context'
import { requireRun } from './records'
import { runReportPath } from '../core/run-folders'
import { describeReportFile } from './report-file'

type Methods = 'report.create' | 'report.status'

/** A run's report: written by a 'report' job in a worker; its file described for the page's "Open report". */
export function reportHandlers({ session, jobs, events, modelsDir, cacheDir, thumbnails }: ServiceContext): Pick<Handlers, Methods> {
  const project = (action: string) => {
    const summary = session.summary
    if (!summary) throw new AppError('NO_PROJECT', `open a project before ${action}`)
    return summary
  }

  return {
    'report.create': async ({ runId, path, overwrite }) => {
      const { path: projectPath, readOnly } = project('writing a report')
      const run = runWithModel(session.db, runId, 'to report on')
      if (jobs.isRunning(REPORT_JOB)) throw new AppError('BUSY', 'a report is already being written; cancel it or wait')
      // The report evaluates a run that has no stored evaluation, which writes to the project.
      if (readOnly && !getRunEvaluation(session.db, run.id)) {
        throw new AppError('READ_ONLY', `run ${run.id} has not been evaluated, and this project is open read-only; open it normally to write its report`)
      }
      if (path !== undefined) await checkSaveTarget(path, overwrite)
      const input: ReportInput = {
        projectPath,
        modelsDir,
        cacheDir,
        thumbnailsDir: thumbnails.dir,
        runId: run.id,
        outPath: path ?? runReportPath(projectPath, run),
        backend: null
      }
      const { jobId, done } = jobs.start(
        REPORT_JOB,
        (context) => runInWorker<ReportInput, ReportResult>(reportWorkerPath, input, context),
        (report) => ({ kind: 'report', report })
      )
      done.then(
        (report) => {
          if (report.evaluated) events.emit('library.changed', { reason: 'evaluation' })
        },
        () => {}
      )
      return { runId: run.id, jobId }
    },
    'report.status': async ({ runId }) => {
      const { path: projectPath } = project('looking for a report')
      return describeReportFile(runReportPath(projectPath, requireRun(session.db, runId)))
    }
  }
}

/** A "Save as" target: an .html file in an existing folder, replaced only when the user said so. */
async function checkSaveTarget(path: string, overwrite: boolean): Promise<void> {
  if (!/^\.html?$/i.test(extname(path))) {
    throw new AppError('INVALID_REQUEST', `a report is an .html file; give a name such as ${join(dirname(path), `${basename(path, extname(path))}.html`)}`)
  }
  const folder = await stat(dirname(path)).catch(() => null)
  if (!folder?.isDirectory()) throw new AppError('NOT_FOUND', `the folder ${dirname(path)} does not exist`)
  const existing = await stat(path).catch(() => null)
  if (existing?.isDirectory()) throw new AppError('INVALID_REQUEST', `${path} is a folder; give a file name such as ${join(path, 'report.html')}`)
  if (existing && !overwrite) throw new AppError('ALREADY_EXISTS', `${path} already exists; choose another name or replace it`)
}
