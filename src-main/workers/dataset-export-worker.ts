// Worker-thread entry for dataset exports from the app (bundled through `?modulePath`): linking,
// copying or taring thousands of images must not block the thread that answers the UI.
import type { DatasetExportSummary } from '../contract/dataset'
import type { ParsedRequestOf } from '../contract/methods'
import { withJobDatabase } from '../db/connection'
import { exportDataset } from '../dataset/dataset-export'
import { SHARD_MB } from '../dataset/webdataset-shards'
import { serveJobInWorker } from '../jobs/worker-side'

export interface DatasetExportWorkerInput {
  projectPath: string
  pictorVersion: string
  request: ParsedRequestOf<'dataset.export'>
}

serveJobInWorker(
  ({ projectPath, pictorVersion, request }: DatasetExportWorkerInput, context): Promise<DatasetExportSummary> =>
    // The contract's shape is spelled apart from the job's (the renderer cannot import the job); this return checks they agree.
    withJobDatabase(projectPath, (db) =>
      exportDataset(
        {
          db,
          dir: request.dir,
          format: request.format,
          split: request.split,
          mode: request.mode,
          includeUnlabeled: request.includeUnlabeled,
          pictorVersion,
          shardBytes: Math.max(1, Math.floor(request.shardMib * SHARD_MB))
        },
        context
      )
    )
)
