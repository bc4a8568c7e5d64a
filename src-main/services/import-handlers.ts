import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { ImportRunSummary } from '../contract/types'
import type { Handlers } from '../core/dispatcher'
import { AppError, fromSystemError } from '../core/errors'
import { latestImportRun } from '../db/queries/import-runs'
import type { ImportInput } from '../import/import-folder'
import type { ImportReport } from '../import/import-report'
import importWorkerPath from '../workers/import-worker?modulePath'
import { runInWorker } from '../jobs/worker-job'
import type { ServiceContext } from './context'

type ImportMethods = 'import.start' | 'import.lastRun' | 'jobs.list' | 'jobs.cancel'

export function importHandlers({ session, jobs, events, thumbnails }: ServiceContext): Pick<Handlers, ImportMethods> {
  return {
    'import.start': async ({ folder, followLinks }) => {
      const project = session.summary
      if (!project) throw new AppError('NO_PROJECT', 'open a project before importing')
      if (jobs.isRunning('import')) throw new AppError('BUSY', 'an import is already running; cancel it or wait')
      const root = resolve(folder)
      const info = await stat(root).catch((error) => {
        throw fromSystemError(error, `the folder ${root}`) ?? error
      })
      if (!info.isDirectory()) throw new AppError('NOT_FOUND', `${root} is not a folder`)

      const input: ImportInput = { projectPath: project.path, folder: root, thumbnailDir: thumbnails.dir, followLinks }
      let lastRefresh = 0
      const { jobId, done } = jobs.start('import', (context) =>
        runInWorker<ImportInput, ImportReport>(importWorkerPath, input, {
          signal: context.signal,
          onProgress: (update) => {
            context.onProgress(update)
            // Let open views re-count about once a second while images arrive.
            if (Date.now() - lastRefresh > 1000) {
              lastRefresh = Date.now()
              events.emit('library.changed', { reason: 'import' })
            }
          }
        }),
        (report) => ({ kind: 'import', report })
      )
      done.then(
        () => events.emit('library.changed', { reason: 'import' }),
        () => events.emit('library.changed', { reason: 'import' })
      )
      return { jobId }
    },
    'import.lastRun': () => {
      const row = latestImportRun(session.db)
      if (!row) return null
      const interrupted = row.status === 'running' && !jobs.isRunning('import')
      const summary: ImportRunSummary = {
        folder: row.rootPath,
        status: interrupted ? 'interrupted' : row.status,
        startedAt: row.startedAt,
        finishedAt: row.finishedAt,
        report: row.report ? (JSON.parse(row.report) as ImportReport) : null
      }
      return summary
    },
    'jobs.list': () => jobs.list(),
    'jobs.cancel': ({ jobId }) => {
      jobs.cancel(jobId)
      return null
    }
  }
}
