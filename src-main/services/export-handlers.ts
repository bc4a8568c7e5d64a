import type { ExportResult } from '../contract/types'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import type { ExportWorkerInput } from '../workers/export-worker'
import exportWorkerPath from '../workers/export-worker?modulePath'
import { runWithModel } from '../classifier/run-choice'
import { runInWorker } from '../jobs/worker-job'
import type { ServiceContext } from './context'

type Methods = 'export.run'

/**
 * export.run answers with the written files once done, but the work runs as an 'export' job in a
 * worker thread: it shows in the status bar and can be cancelled, and the UI thread stays free.
 */
export function exportHandlers({ session, jobs, modelsDir, info }: ServiceContext): Pick<Handlers, Methods> {
  return {
    'export.run': async ({ runId, dir, formats, quantize }) => {
      const project = session.summary
      if (!project) throw new AppError('NO_PROJECT', 'open a project before exporting')
      if (jobs.isRunning('export')) throw new AppError('BUSY', 'an export is already running; wait for it to finish')
      // Checked here too so an unknown run fails fast, before a worker starts.
      const run = runWithModel(session.db, runId, 'to export')
      const input: ExportWorkerInput = {
        projectPath: project.path,
        modelsDir,
        pictorVersion: info.version,
        request: { runId: run.id, dir, formats, quantize }
      }
      const { done } = jobs.start('export', (context) => runInWorker<ExportWorkerInput, ExportResult>(exportWorkerPath, input, context))
      return done
    }
  }
}
