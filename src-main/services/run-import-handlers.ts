import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { importOnnxRun } from '../classifier/onnx-run-import'
import type { ServiceContext } from './context'

type Methods = 'runs.import'

/**
 * runs.import: a classifier trained elsewhere (ONNX) becomes a finished run of the open project.
 * Checking it takes one ONNX Runtime session and one small batch (well under a second for a
 * MobileNetV2), so it answers directly rather than as a job.
 */
export function runImportHandlers({ session, events }: ServiceContext): Pick<Handlers, Methods> {
  return {
    'runs.import': async ({ path, labels, preprocessing }) => {
      if (!session.summary) throw new AppError('NO_PROJECT', 'open a project before importing a model into it')
      const imported = await importOnnxRun(session.db, { path, ...(labels ? { labels } : {}), ...(preprocessing ? { preprocessing } : {}) })
      events.emit('library.changed', { reason: 'run imported' })
      return imported
    }
  }
}
