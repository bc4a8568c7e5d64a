// Worker-thread entry for exports (bundled through `?modulePath`): assembling MobileNetV2 and
// serialising it to ONNX takes seconds of CPU that must not block the thread answering the UI.
import { withJobDatabase } from '../db/connection'
import { serveJobInWorker } from '../jobs/worker-side'
import { exportRun, type ExportRequest } from '../export/export-run'

export interface ExportWorkerInput {
  projectPath: string
  modelsDir: string
  pictorVersion: string
  request: ExportRequest
}

serveJobInWorker((input: ExportWorkerInput, { signal, onProgress }) =>
  withJobDatabase(input.projectPath, (db) =>
    exportRun(db, input.request, {
      modelsDir: input.modelsDir,
      pictorVersion: input.pictorVersion,
      signal,
      onProgress: (message) => onProgress({ message, done: 0, total: null, detail: null })
    })
  )
)
