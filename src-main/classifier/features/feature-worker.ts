// Worker-thread entry for parallel feature extraction (bundled separately through `?modulePath`; see
// feature-workers.ts for the other half). The wasm backend runs one thread per worker in Node, so
// extraction uses several cores by running one backbone per worker. The backbone is loaded once; each
// request is a batch of files, answered with their features (transferred, not copied) or a per-file error.
import { parentPort, workerData } from 'node:worker_threads'
import { DecodeError } from '../decode'
import { FeatureExtractor } from './feature-extractor'
import type { FeatureWorkerData, FromFeatureWorker, ToFeatureWorker } from './feature-messages'
import { preprocessForMobileNet } from './mobilenet-preprocess'

const port = parentPort
if (!port) throw new Error('feature-worker must run inside a worker thread')
const { modelJsonPath, backend, spec } = workerData as FeatureWorkerData
const post = (message: FromFeatureWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)
const fail = (error: unknown) => post({ type: 'failed', message: error instanceof Error ? error.message : String(error) })

async function decode(path: string): Promise<Float32Array | string> {
  try {
    return await preprocessForMobileNet(path, spec.inputSize)
  } catch (error) {
    // A file that vanished or broke since import leaves one image out; anything else fails the run.
    if (error instanceof DecodeError) return error.message
    throw error
  }
}

FeatureExtractor.fromModelJson(modelJsonPath, { backend, spec }).then((extractor) => {
  // Batches run through the backbone one after another; each starts decoding (sharp, on libuv's
  // threads) as soon as it arrives, overlapping the backbone on the batch before it.
  // After 'close' (done, or cancelled) batches not yet on the backbone are dropped unanswered.
  let queue = Promise.resolve()
  let closing = false
  port.on('message', (message: ToFeatureWorker) => {
    if (message.type === 'close') {
      closing = true
      queue = queue.then(() => {
        extractor.dispose()
        port.close()
      })
      return
    }
    const { id, items } = message
    const decoding = Promise.all(items.map((item) => decode(item.path)))
    decoding.catch(() => {}) // handled where the queue awaits it
    queue = queue
      .then(async () => {
        const decoded = await decoding
        // Lets a 'close' that arrived meanwhile be seen before the backbone starts on this batch.
        await new Promise((resolve) => setImmediate(resolve))
        if (closing) return
        const ready = decoded.filter((value): value is Float32Array => typeof value !== 'string')
        const features = await extractor.extract(ready)
        let row = 0
        const results = decoded.map((value, index) => {
          const contentHash = items[index]!.contentHash
          return typeof value === 'string' ? { contentHash, error: value } : { contentHash, features: features[row++]! }
        })
        post({ type: 'batch', id, results }, features.map((feature) => feature.buffer as ArrayBuffer))
      })
      .catch(fail)
  })
  post({ type: 'ready', version: extractor.version })
}, fail)
