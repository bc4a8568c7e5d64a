// Worker thread of part 1 (see transfer-bench-extract.ts): one backbone (FeatureExtractor, wasm) per
// worker, as the product's feature workers run it, timed on images preprocessed up front.
//   workerData: { modelsDir, files }  →  { type: 'ready', version, loadMs }
//   { type: 'run', batch, batches }   →  { type: 'done', ms: number[] } (one duration per extract call)
//   { type: 'close' }                 →  the worker exits
import { parentPort, workerData } from 'node:worker_threads'
import { FeatureExtractor } from '../../src-main/classifier/features/feature-extractor'
import { preprocessForMobileNet } from '../../src-main/classifier/features/mobilenet-preprocess'

export interface BackboneWorkerData {
  modelsDir: string
  files: string[]
}
export type ToBackboneWorker = { type: 'run'; batch: number; batches: number } | { type: 'close' }
export type FromBackboneWorker =
  | { type: 'ready'; version: string; loadMs: number }
  | { type: 'done'; ms: number[] }
  | { type: 'failed'; message: string }

const port = parentPort
if (!port) throw new Error('transfer-bench-backbone-worker must run inside a worker thread')
const { modelsDir, files } = workerData as BackboneWorkerData
const post = (message: FromBackboneWorker) => port.postMessage(message)

async function main(): Promise<void> {
  const t0 = performance.now()
  const extractor = await FeatureExtractor.load(modelsDir, { backend: 'wasm' })
  const images = await Promise.all(files.map((file) => preprocessForMobileNet(file)))
  // Warm-up: the first calls at each batch size compile and allocate.
  await extractor.extract(images)
  await extractor.extract(images.slice(0, 16))
  post({ type: 'ready', version: extractor.version, loadMs: performance.now() - t0 })
  let queue = Promise.resolve()
  port!.on('message', (message: ToBackboneWorker) => {
    queue = queue
      .then(async () => {
        if (message.type === 'close') {
          extractor.dispose()
          port!.close()
          return
        }
        const ms: number[] = []
        for (let b = 0; b < message.batches; b++) {
          const start = (b * message.batch) % images.length
          const t = performance.now()
          await extractor.extract(images.slice(start, start + message.batch))
          ms.push(performance.now() - t)
        }
        post({ type: 'done', ms })
      })
      .catch((error: unknown) => post({ type: 'failed', message: error instanceof Error ? error.message : String(error) }))
  })
}

main().catch((error: unknown) => post({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
