// Worker-thread entry for Try it (bundled through `?modulePath`): unlike a job's worker it lives
// between requests, holding the models it loaded, so a second try with the same model answers in
// milliseconds. The main side (services/image-worker.ts) ends it when it has been idle a while.
import { parentPort } from 'node:worker_threads'
import { AppError } from '../core/errors'
import { ImageTrier, type FromImageWorker, type ToImageWorker } from '../export/predict-image'

const port = parentPort
if (!port) throw new Error('predict-image-worker must run inside a worker thread')
const trier = new ImageTrier()

port.on('message', (message: ToImageWorker) => {
  if (message.type === 'close') {
    // Models released and the port closed, the thread ends by itself, as a job's worker does (a
    // thread stopped from outside while ONNX Runtime holds a session can keep the process from exiting).
    void trier.dispose().finally(() => port.close())
    return
  }
  const { id, request } = message
  trier.try(request).then(
    (value) => port.postMessage({ id, ok: true, value } satisfies FromImageWorker),
    (error: unknown) => {
      const code = error instanceof AppError ? error.code : 'INTERNAL'
      const message = error instanceof Error ? error.message : String(error)
      port.postMessage({ id, ok: false, code, message } satisfies FromImageWorker)
    }
  )
})
