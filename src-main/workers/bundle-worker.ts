// Worker-thread entry for cluster bundles from the app (bundled through `?modulePath`): linking or
// copying the dataset, copying the weights and running the feature check must not block the thread
// that answers the UI.
import type { BundleResult } from '../contract/bundle'
import type { ParsedRequestOf } from '../contract/methods'
import { withJobDatabase } from '../db/connection'
import { writeBundle } from '../bundle/write-bundle'
import { serveJobInWorker } from '../jobs/worker-side'

export interface BundleWorkerInput {
  projectPath: string
  /** Where the installed MobileNetV2 base model lives: its weights go into the bundle. */
  modelsDir: string
  pictorVersion: string
  request: ParsedRequestOf<'bundle.write'>
}

serveJobInWorker(
  ({ projectPath, modelsDir, pictorVersion, request }: BundleWorkerInput, context): Promise<BundleResult> =>
    withJobDatabase(projectPath, (db) =>
      writeBundle({ db, projectPath, dir: request.dir, modelsDir, pictorVersion, format: request.format, mode: request.mode }, context)
    )
)
