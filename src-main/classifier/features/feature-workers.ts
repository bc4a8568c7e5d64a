// The coordinating half of parallel feature extraction: N feature workers (feature-worker.ts), each
// with its own backbone, pull batches from one shared queue; every returned batch is handed to the
// caller (which commits it) on this thread. See extractMissingFeatures.
import { threadCountFromEnv } from '../../core/thread-count'
import { Worker } from 'node:worker_threads'
import type { BackendName } from '../../contract/types'
import type { FeatureSpec } from './feature-spec'
import featureWorkerPath from './feature-worker?modulePath'
import type { FeatureItem, FeatureWorkerData, FileResult, FromFeatureWorker, ToFeatureWorker } from './feature-messages'

/** Batches queued per worker: one on the backbone while the next decodes. */
const IN_FLIGHT_PER_WORKER = 2

/** `PICTOR_FEATURE_WORKERS` when set (a whole number ≥ 1), else one per core up to 4. */
export function featureWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  return threadCountFromEnv('PICTOR_FEATURE_WORKERS', { fallback: (cores) => Math.max(1, Math.min(4, cores)) }, env)
}

export interface WorkerExtraction {
  workers: number
  modelJsonPath: string
  backend: BackendName
  /** The version the caller stores features under: every worker's backbone must have it. */
  version: string
  spec: FeatureSpec
  batches: readonly FeatureItem[][]
  signal: AbortSignal
  /** When the first backbone is loaded (work starts). */
  onStart(): void
  /** Each finished batch, on this thread, in completion order. A throw fails the extraction. */
  onBatch(results: FileResult[]): void
}

/**
 * Runs every batch through the workers. Resolves when all are done, or after a cancel once the
 * workers have stopped (batches still on a backbone finish and are handed over; queued ones are
 * dropped). Rejects on a worker failure. No worker outlives the returned promise.
 */
export async function extractInWorkers(job: WorkerExtraction): Promise<void> {
  const workers: Worker[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      const { batches, signal } = job
      let next = 0
      let finished = 0
      let started = false
      let stopping = false
      let exited = 0
      let failed = false
      const fail = (error: Error) => {
        if (failed) return
        failed = true
        signal.removeEventListener('abort', stop)
        reject(error)
      }
      // Done or cancelled: no more batches; each worker finishes what is on its backbone and exits.
      function stop() {
        if (stopping) return
        stopping = true
        signal.removeEventListener('abort', stop)
        for (const worker of workers) worker.postMessage({ type: 'close' } satisfies ToFeatureWorker)
      }
      signal.addEventListener('abort', stop, { once: true })

      for (let index = 0; index < job.workers; index++) {
        const worker = new Worker(featureWorkerPath, { workerData: { modelJsonPath: job.modelJsonPath, backend: job.backend, spec: job.spec } satisfies FeatureWorkerData })
        workers.push(worker)
        let inFlight = 0
        const feed = () => {
          while (!stopping && inFlight < IN_FLIGHT_PER_WORKER && next < batches.length) {
            worker.postMessage({ type: 'batch', id: next, items: batches[next++]! } satisfies ToFeatureWorker)
            inFlight++
          }
        }
        worker.on('message', (message: FromFeatureWorker) => {
          if (failed) return
          if (message.type === 'failed') return fail(new Error(`feature extraction failed in a worker: ${message.message}`))
          if (message.type === 'ready') {
            if (message.version !== job.version) return fail(new Error(`the base model changed while extracting (${message.version})`))
            if (!started) {
              started = true
              job.onStart()
            }
            return feed()
          }
          inFlight--
          try {
            job.onBatch(message.results)
          } catch (error) {
            return fail(error as Error)
          }
          if (++finished === batches.length) stop()
          else feed()
        })
        worker.on('error', (error) => fail(new Error(`a feature worker crashed: ${error.message}`)))
        worker.on('exit', (code) => {
          if (!stopping) return fail(new Error(`a feature worker stopped unexpectedly (exit code ${code})`))
          if (++exited === workers.length) resolve()
        })
      }
      if (signal.aborted) stop()
    })
  } finally {
    // Already gone after a clean stop; cut short after a failure.
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}
