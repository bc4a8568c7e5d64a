// Worker-thread entry for the app's model server (bundled through `?modulePath`): unlike a job's
// worker it lives until asked to stop, answering HTTP on its own event loop so neither a burst of
// requests nor a large image ever waits on (or stalls) the thread that answers the UI. It sends the
// server's figures to main once a second, and on request.
import { parentPort, workerData } from 'node:worker_threads'
import type { ErrorCode } from '../contract/envelope'
import { SERVE_HOST } from '../contract/serve'
import { AppError, fromSystemError } from '../core/errors'
import type { RunningServer, ServerStats } from '../serve/serve-types'
import { startRunServer } from './serve-run'

export interface ServeWorkerInput {
  projectPath: string
  runId: number
  modelsDir: string
  cacheDir: string
  port: number
  maxBatch: number
  batchDelayMs: number
}

export type ToServeWorker = { type: 'stats'; id: number } | { type: 'close' }
export type FromServeWorker =
  | { type: 'started'; url: string; name: string }
  | { type: 'failed'; code: ErrorCode; message: string }
  /** `id` answers a 'stats' request; without it, the once-a-second report. */
  | { type: 'stats'; stats: ServerStats; id?: number }
  | { type: 'closed' }

/** How often the figures go to main (the Monitor view redraws at this pace). */
const REPORT_MS = 1000

const port = parentPort
if (!port) throw new Error('serve-worker must run inside a worker thread')
const input = workerData as ServeWorkerInput
const post = (message: FromServeWorker) => port.postMessage(message)

let server: RunningServer | null = null
let timer: NodeJS.Timeout | null = null
let closing = false

port.on('message', (message: ToServeWorker) => {
  if (message.type === 'stats') {
    if (server) post({ type: 'stats', stats: server.stats(), id: message.id })
    return
  }
  void close()
})

async function close(): Promise<void> {
  if (closing) return
  closing = true
  if (timer) clearInterval(timer)
  // Drains requests in flight and frees the model; the port closed, the thread ends by itself (a
  // thread stopped from outside while ONNX Runtime holds a session can keep the process from exiting).
  try {
    await server?.close()
  } finally {
    post({ type: 'closed' })
    port?.close()
  }
}

startRunServer({ ...input, host: SERVE_HOST }).then(
  (running) => {
    server = running
    if (closing) {
      closing = false
      void close()
      return
    }
    post({ type: 'started', url: running.url, name: running.name })
    timer = setInterval(() => post({ type: 'stats', stats: running.stats() }), REPORT_MS)
  },
  (error: unknown) => {
    const known = error instanceof AppError ? error : fromSystemError(error, `serving run ${input.runId}`)
    post({ type: 'failed', code: known?.code ?? 'INTERNAL', message: known?.message ?? (error instanceof Error ? error.message : String(error)) })
    port.close()
  }
)
