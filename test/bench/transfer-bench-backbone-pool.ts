// W TF.js backbones in W worker threads (transfer-bench-backbone-worker.ts), one single-threaded wasm
// backbone each, as the product's feature workers run them: the way TF.js uses W cores. Used by
// bench:transfer and bench:infer to time the backbone on images preprocessed up front.
import type { Worker } from 'node:worker_threads'
import type { BackboneWorkerData, FromBackboneWorker, ToBackboneWorker } from './transfer-bench-backbone-worker'
import { startTsWorker } from './transfer-bench-module-paths'

export interface BackbonePool {
  /** The slowest worker's load + warm-up time. */
  loadMs: number
  /** `batches` batches of `batch` images on every worker at once: images/s over all of them. */
  run(batch: number, batches: number): Promise<{ rate: number; wallMs: number; perWorkerMs: number[] }>
  close(): Promise<void>
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

/** Starts `count` workers on the base model in `modelsDir`, each warmed up on `files` (preprocessed in the worker). */
export async function startBackbonePool(count: number, modelsDir: string, files: string[]): Promise<BackbonePool> {
  const file = new URL('./transfer-bench-backbone-worker.ts', import.meta.url)
  const workers: Worker[] = []
  const next = (worker: Worker) =>
    new Promise<FromBackboneWorker>((resolve, reject) => {
      const onMessage = (message: FromBackboneWorker) => {
        worker.off('error', onError)
        if (message.type === 'failed') reject(new Error(`backbone worker: ${message.message}`))
        else resolve(message)
      }
      const onError = (error: Error) => {
        worker.off('message', onMessage)
        reject(error)
      }
      worker.once('message', onMessage).once('error', onError)
    })
  for (let i = 0; i < count; i++) workers.push(startTsWorker(file, { modelsDir, files } satisfies BackboneWorkerData))
  try {
    const ready = await Promise.all(workers.map(next))
    return {
      loadMs: Math.max(...ready.map((m) => (m.type === 'ready' ? m.loadMs : 0))),
      async run(batch, batches) {
        const t0 = performance.now()
        const done = Promise.all(workers.map(next))
        for (const worker of workers) worker.postMessage({ type: 'run', batch, batches } satisfies ToBackboneWorker)
        const answers = await done
        const wallMs = performance.now() - t0
        const perWorkerMs = answers.map((m) => (m.type === 'done' ? sum(m.ms) : Number.NaN))
        return { rate: (count * batch * batches * 1000) / wallMs, wallMs, perWorkerMs }
      },
      async close() {
        for (const worker of workers) worker.postMessage({ type: 'close' } satisfies ToBackboneWorker)
        await Promise.all(workers.map((worker) => worker.terminate()))
      }
    }
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()))
    throw error
  }
}
