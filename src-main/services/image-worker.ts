import { Worker } from 'node:worker_threads'
import { AppError } from '../core/errors'
import type { FromImageWorker, ImageToTry, ToImageWorker, TriedImage } from '../export/predict-image'
import imageWorkerPath from '../workers/predict-image-worker?modulePath'

/** How long the worker (and the models it holds) stays after the last try. */
export const IMAGE_WORKER_IDLE_MS = 10 * 60_000

/**
 * Try it's worker thread, started on the first try and kept while tries come (the models it loaded
 * stay loaded), ended after IMAGE_WORKER_IDLE_MS without one so its memory goes back. It never keeps
 * the app from quitting. A worker that dies fails the tries it had; the next try starts a new one.
 */
export class ImageWorker {
  #worker: Worker | null = null
  #nextId = 1
  readonly #pending = new Map<number, { resolve: (value: TriedImage) => void; reject: (error: Error) => void }>()
  #idle: NodeJS.Timeout | null = null

  constructor(private readonly idleMs = IMAGE_WORKER_IDLE_MS) {}

  try(request: ImageToTry): Promise<TriedImage> {
    const worker = this.#start()
    if (this.#idle) clearTimeout(this.#idle)
    this.#idle = null
    const id = this.#nextId++
    return new Promise<TriedImage>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      worker.postMessage({ type: 'try', id, request } satisfies ToImageWorker)
    })
  }

  /**
   * Ends the worker (tries in flight fail as cancelled): asked to release its models and stop, which
   * it does by itself; stopped from outside only if it has not within `graceMs`. Until it has ended
   * it keeps the process alive, so an app that quits does not tear it down in the middle.
   */
  async close(graceMs = 5000): Promise<void> {
    const worker = this.#worker
    this.#worker = null
    if (this.#idle) clearTimeout(this.#idle)
    this.#idle = null
    this.#failAll(new AppError('CANCELLED', 'Try it was closed'))
    if (!worker) return
    worker.ref()
    const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    worker.postMessage({ type: 'close' } satisfies ToImageWorker)
    const timer = setTimeout(() => void worker.terminate(), graceMs)
    await ended
    clearTimeout(timer)
  }

  #start(): Worker {
    if (this.#worker) return this.#worker
    const worker = new Worker(imageWorkerPath)
    worker.unref()
    worker.on('message', ({ id, ...answer }: FromImageWorker) => {
      const pending = this.#pending.get(id)
      this.#pending.delete(id)
      if (answer.ok) pending?.resolve(answer.value)
      else pending?.reject(new AppError(answer.code, answer.message))
      if (this.#pending.size === 0 && this.#worker === worker) this.#idleSoon()
    })
    const stopped = (why: string) => {
      if (this.#worker !== worker) return
      this.#worker = null
      this.#failAll(new AppError('INTERNAL', `Try it's worker stopped unexpectedly (${why}); try again`))
    }
    worker.on('error', (error) => stopped(error.message))
    worker.on('exit', (code) => stopped(`exit code ${code}`))
    this.#worker = worker
    return worker
  }

  #idleSoon(): void {
    if (this.#idle) clearTimeout(this.#idle)
    this.#idle = setTimeout(() => void this.close(), this.idleMs)
    this.#idle.unref()
  }

  #failAll(error: AppError): void {
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
  }
}
