import { AppError } from '../core/errors'
import { openProjectDatabase } from '../db/connection'
import { DriftMonitor } from '../serve/drift/drift-monitor'
import { driftReferenceForRun } from '../serve/drift/reference-for-run'
import { createServeMetrics } from '../serve/serve-metrics'
import { loadServeModel } from '../serve/serve-model'
import type { DriftReference, RunningServer } from '../serve/serve-types'
import { startModelServer } from '../serve/start-server'

export interface RunServerOptions {
  projectPath: string
  runId: number
  modelsDir: string
  cacheDir: string
  host: string
  port: number
  maxBatch: number
  batchDelayMs: number
}

/**
 * What `pictor serve --project P --run ID` starts, in the app's serve worker: the run's model on ONNX
 * Runtime, its Prometheus metrics, its drift monitor, and the server on `host`. The model is freed if
 * the server cannot start.
 */
export async function startRunServer(options: RunServerOptions): Promise<RunningServer> {
  const reference = await driftReference(options)
  const model = await loadServeModel({ project: options.projectPath, runId: options.runId }, { modelsDir: options.modelsDir })
  try {
    return await startModelServer({
      model,
      host: options.host,
      port: options.port,
      maxBatch: options.maxBatch,
      batchDelayMs: options.batchDelayMs,
      metrics: createServeMetrics(),
      drift: reference ? new DriftMonitor(reference) : null,
      reference
    })
  } catch (error) {
    model.dispose()
    throw inAppWords(error, options.port)
  }
}

/**
 * The run's stored drift reference, built and stored on first use as `pictor serve` does. A run it
 * cannot be built for is still served, without drift (the Monitor view says there is no reference).
 */
async function driftReference(options: RunServerOptions): Promise<DriftReference | null> {
  const db = openProjectDatabase(options.projectPath)
  try {
    return await driftReferenceForRun(db, options.runId, { modelsDir: options.modelsDir, cacheDir: options.cacheDir })
  } catch (error) {
    console.warn(`[pictor] serving run ${options.runId} without drift: ${(error as Error).message}`)
    return null
  } finally {
    db.close()
  }
}

/** The server's errors speak of the CLI's --port; the app has a Port field. */
function inAppWords(error: unknown, port: number): unknown {
  if (error instanceof AppError && /already in use/.test(error.message)) {
    return new AppError(error.code, `port ${port} is already in use; choose another port, or 0 for any free one`)
  }
  if (error instanceof AppError && /not allowed to listen/.test(error.message)) {
    return new AppError(error.code, `port ${port} needs administrator rights; choose one above 1023, or 0 for any free one`)
  }
  return error
}
