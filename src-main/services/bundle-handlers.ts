import { BUNDLE_JOB, type BundleResult } from '../contract/bundle'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { runInWorker } from '../jobs/worker-job'
import type { BundleWorkerInput } from '../workers/bundle-worker'
import bundleWorkerPath from '../workers/bundle-worker?modulePath'
import type { ServiceContext } from './context'
import { requireParentFolder } from './dataset-handlers'

type Methods = 'bundle.write'

/**
 * bundle.write answers with what the bundle holds once done, but the work runs as a 'bundle' job in a
 * worker thread (the job `pictor bundle` runs): the status bar shows it, jobs.cancel stops it (leaving
 * the destination as it was), and the UI thread stays free. A missing base model is writeBundle's own
 * NOT_FOUND, which says how to install it.
 */
export function bundleHandlers({ session, jobs, modelsDir, info }: ServiceContext): Pick<Handlers, Methods> {
  return {
    'bundle.write': async (request) => {
      const project = session.summary
      if (!project) throw new AppError('NO_PROJECT', 'open a project before writing a training bundle')
      if (jobs.isRunning(BUNDLE_JOB)) throw new AppError('BUSY', 'a bundle is already being written; cancel it or wait for it to finish')
      await requireParentFolder(request.dir, 'the bundle')
      const input: BundleWorkerInput = { projectPath: project.path, modelsDir, pictorVersion: info.version, request }
      const { done } = jobs.start(BUNDLE_JOB, (context) => runInWorker<BundleWorkerInput, BundleResult>(bundleWorkerPath, input, context))
      return done
    }
  }
}
