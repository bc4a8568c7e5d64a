import { Worker } from 'node:worker_threads'
import type { ServeSnapshot, ServeStarted } from '../contract/serve'
import { AppError } from '../core/errors'
import type { ServerStats } from '../serve/serve-types'
import type { FromServeWorker, ServeWorkerInput, ToServeWorker } from '../workers/serve-worker'
import serveWorkerPath from '../workers/serve-worker?modulePath'

/** How long a stopping server may drain before its thread is ended from outside. */
const CLOSE_GRACE_MS = 10_000
/** How long serve.status waits for the worker's figures before answering with the last report. */
const STATS_WAIT_MS = 2000

/** The running server's figures (with its run) whenever they change, and null with why once it stops unasked. */
export type ServeListener = (snapshot: ServeSnapshot | null, stoppedBecause: string | null) => void

interface Running {
  worker: Worker
  runId: number
  started: ServeStarted | null
  last: ServerStats | null
  stopping: Promise<void> | null
}

/**
 * The app's one model server, in a worker thread (workers/serve-worker.ts) for as long as it runs.
 * It never keeps the app from quitting: the thread is unref'd, and stop() asks it to drain and end.
 */
export class ServeHost {
  #running: Running | null = null
  #nextId = 1
  readonly #waiting = new Map<number, (stats: ServerStats | null) => void>()

  constructor(private readonly listener: ServeListener) {}

  get runId(): number | null {
    return this.#running?.runId ?? null
  }

  /** Starts the worker and answers once the server listens (its errors, such as a port in use, as AppErrors). */
  start(input: ServeWorkerInput): Promise<ServeStarted> {
    if (this.#running) throw new AppError('BUSY', `a server already runs for run #${this.#running.runId}; stop it first`)
    const worker = new Worker(serveWorkerPath, { workerData: input })
    worker.unref()
    const running: Running = { worker, runId: input.runId, started: null, last: null, stopping: null }
    this.#running = running
    return new Promise<ServeStarted>((resolve, reject) => {
      worker.on('message', (message: FromServeWorker) => {
        if (message.type === 'started') {
          running.started = { url: message.url, name: message.name, runId: input.runId }
          resolve(running.started)
        } else if (message.type === 'failed') {
          // Free at once, so a second try (another port) is not refused while this thread winds down.
          if (this.#running === running) this.#running = null
          reject(new AppError(message.code, message.message))
        } else if (message.type === 'stats') {
          running.last = message.stats
          if (message.id !== undefined) this.#answer(message.id, message.stats)
          else if (this.#running === running && !running.stopping) this.listener(snapshotOf(running, message.stats), null)
        }
      })
      const ended = (why: string | null) => {
        reject(new AppError('INTERNAL', `the server's worker stopped before it listened${why ? ` (${why})` : ''}`))
        if (this.#running !== running) return
        this.#running = null
        this.#answerAll()
        // Stopped by serve.stop: its caller publishes; otherwise say why it went.
        if (!running.stopping && running.started) this.listener(null, why ?? 'the server stopped')
      }
      worker.on('error', (error) => ended(`it failed: ${error.message}`))
      worker.on('exit', (code) => ended(running.stopping ? null : `its thread ended with code ${code}`))
    })
  }

  /** The figures now (asked of the worker), or null when no server runs. */
  async snapshot(): Promise<ServeSnapshot | null> {
    const running = this.#running
    if (!running?.started) return null
    const id = this.#nextId++
    const stats = await new Promise<ServerStats | null>((resolve) => {
      const timer = setTimeout(() => this.#answer(id, running.last), STATS_WAIT_MS)
      this.#waiting.set(id, (value) => {
        clearTimeout(timer)
        resolve(value)
      })
      running.worker.postMessage({ type: 'stats', id } satisfies ToServeWorker)
    })
    return stats && this.#running === running ? snapshotOf(running, stats) : null
  }

  /**
   * Stops the server: it drains requests in flight, frees its model and its thread ends. Resolves
   * once the port is closed; false when none ran. `why` is told to listeners when nobody asked.
   */
  async stop(why: string | null = null): Promise<boolean> {
    const running = this.#running
    if (!running) return false
    if (!running.stopping) {
      const { worker } = running
      running.stopping = new Promise<void>((resolve) => {
        worker.once('exit', () => resolve())
        worker.ref()
        const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS)
        worker.once('exit', () => clearTimeout(timer))
        worker.postMessage({ type: 'close' } satisfies ToServeWorker)
      })
      running.stopping.then(() => this.listener(null, why), () => undefined)
    }
    await running.stopping
    return true
  }

  #answer(id: number, stats: ServerStats | null): void {
    const waiting = this.#waiting.get(id)
    this.#waiting.delete(id)
    waiting?.(stats)
  }

  #answerAll(): void {
    for (const id of [...this.#waiting.keys()]) this.#answer(id, null)
  }
}

function snapshotOf(running: Running, stats: ServerStats): ServeSnapshot {
  return { ...stats, runId: running.runId }
}
