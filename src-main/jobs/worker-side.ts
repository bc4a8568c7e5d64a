import { parentPort, workerData } from 'node:worker_threads'
import { AppError } from '../core/errors'
import type { JobContext, ProgressUpdate } from './job'
import type { FromWorker, ToWorker } from './worker-job'

/** Progress crosses threads at most this often; the main side rate-limits again for the UI. */
const POST_INTERVAL_MS = 50

/**
 * The worker half of runInWorker: runs one job on `workerData` and reports back. A job that streams
 * output (predicted rows) sends it with `send`; it reaches the main side in order, before the end.
 */
export function serveJobInWorker<I, R, D = never>(job: (input: I, context: JobContext, send: (data: D) => void) => Promise<R>): void {
  const port = parentPort
  if (!port) throw new Error('serveJobInWorker must run inside a worker thread')
  const controller = new AbortController()
  port.on('message', (message: ToWorker) => {
    if (message.type === 'cancel') controller.abort()
  })
  let lastPost = 0
  const post = (message: FromWorker<R, D>) => port.postMessage(message)
  const onProgress = (update: ProgressUpdate) => {
    const now = Date.now()
    if (now - lastPost < POST_INTERVAL_MS && update.done !== update.total && !update.important) return
    lastPost = now
    post({ type: 'progress', update })
  }
  job(workerData as I, { signal: controller.signal, onProgress }, (data) => post({ type: 'data', data })).then(
    (result) => {
      post({ type: 'done', result })
      port.close()
    },
    (error: unknown) => {
      const code = error instanceof AppError ? error.code : controller.signal.aborted ? 'CANCELLED' : 'INTERNAL'
      post({ type: 'failed', code, message: error instanceof Error ? error.message : String(error) })
      port.close()
    }
  )
}
