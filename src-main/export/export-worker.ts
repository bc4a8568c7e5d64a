// Worker-thread entry for exports (bundled through `?modulePath`): assembling MobileNetV2 and
// serialising it to ONNX takes seconds of CPU that must not block the thread answering the UI.
import { openProjectDatabase } from '../db/connection'
import { serveJobInWorker } from '../jobs/worker-side'
import { exportRun, type ExportRequest } from './export-run'

export interface ExportWorkerInput {
  projectPath: string
  modelsDir: string
  pictorVersion: string
  request: ExportRequest
}

serveJobInWorker(async (input: ExportWorkerInput, { signal, onProgress }) => {
  const db = openProjectDatabase(input.projectPath)
  try {
    return await exportRun(db, input.request, {
      modelsDir: input.modelsDir,
      pictorVersion: input.pictorVersion,
      signal,
      onProgress: (message) => onProgress({ message, done: 0, total: null, detail: null })
    })
  } finally {
    db.close()
  }
})
