import { stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { DATASET_EXPORT_JOB, type DatasetExportSummary } from '../contract/dataset'
import type { Handlers } from '../core/dispatcher'
import { AppError, fromSystemError } from '../core/errors'
import { runInWorker } from '../jobs/worker-job'
import type { DatasetExportWorkerInput } from '../workers/dataset-export-worker'
import datasetExportWorkerPath from '../workers/dataset-export-worker?modulePath'
import type { ServiceContext } from './context'

type Methods = 'dataset.export'

/**
 * dataset.export answers with the counts once done, but the work runs as a 'dataset-export' job in a
 * worker thread (the job `pictor dataset export` runs): the status bar shows it, jobs.cancel stops it
 * (leaving the destination as it was), and the UI thread stays free.
 */
export function datasetHandlers({ session, jobs, info }: ServiceContext): Pick<Handlers, Methods> {
  return {
    'dataset.export': async (request) => {
      const project = session.summary
      if (!project) throw new AppError('NO_PROJECT', 'open a project before exporting its dataset')
      if (jobs.isRunning(DATASET_EXPORT_JOB)) throw new AppError('BUSY', 'a dataset export is already running; cancel it or wait for it to finish')
      await requireParentFolder(request.dir)
      const input: DatasetExportWorkerInput = { projectPath: project.path, pictorVersion: info.version, request }
      const { done } = jobs.start(DATASET_EXPORT_JOB, (context) => runInWorker<DatasetExportWorkerInput, DatasetExportSummary>(datasetExportWorkerPath, input, context))
      return done
    }
  }
}

/**
 * The app creates the dataset's own folder but no folders above it (the CLI's --out does): a typo in
 * a parent, or a hostile path, never grows a tree of folders. NOT_FOUND names the missing parent.
 * The cluster bundle (bundle-handlers.ts) asks the same of its folder.
 */
export async function requireParentFolder(dir: string, what = 'the dataset'): Promise<void> {
  const parent = dirname(dir)
  const info = await stat(parent).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError('NOT_FOUND', `the folder ${parent} does not exist; ${what} goes into a new or empty folder inside an existing one`)
    }
    throw fromSystemError(error, `the folder ${parent}`) ?? error
  })
  if (!info.isDirectory()) throw new AppError('INVALID_REQUEST', `${parent} is a file, not a folder; choose a folder for ${what}`)
}
