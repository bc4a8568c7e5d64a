import { Worker } from 'node:worker_threads'
import type { ErrorCode } from '../contract/envelope'
import { AppError } from '../core/errors'
import type { JobContext, ProgressUpdate } from './job'

/** Messages between a job's worker thread and the main side. */
export type ToWorker = { type: 'cancel' }
export type FromWorker<R, D = never> =
  | { type: 'progress'; update: ProgressUpdate }
  /** A job's own output as it goes (predicted rows), in order with its progress and end. */
  | { type: 'data'; data: D }
  | { type: 'done'; result: R }
  | { type: 'failed'; code: ErrorCode; message: string }

/**
 * Runs a job in a worker thread (see worker-side.ts for the other half), so decoding, hashing and
 * database writes never block the event loop that answers the UI. Cancelling posts a message; the
 * worker stops at its next file and reports what it did.
 */
export function runInWorker<I, R, D = never>(modulePath: string, input: I, { signal, onProgress }: JobContext, onData?: (data: D) => void): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(modulePath, { workerData: input })
    let settled = false
    const settle = (action: () => void) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', cancel)
      action()
    }
    const cancel = () => worker.postMessage({ type: 'cancel' } satisfies ToWorker)
    signal.addEventListener('abort', cancel, { once: true })
    if (signal.aborted) cancel()

    worker.on('message', (message: FromWorker<R, D>) => {
      if (message.type === 'progress') onProgress(message.update)
      else if (message.type === 'data') onData?.(message.data)
      else if (message.type === 'done') settle(() => resolve(message.result))
      else settle(() => reject(new AppError(message.code, message.message)))
    })
    worker.on('error', (error) => settle(() => reject(new AppError('INTERNAL', `the job crashed: ${error.message}`))))
    worker.on('exit', (code) =>
      settle(() => reject(new AppError('INTERNAL', `the job's worker stopped unexpectedly (exit code ${code})`)))
    )
  })
}
