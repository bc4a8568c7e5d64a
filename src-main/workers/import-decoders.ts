import { parentPort, Worker } from 'node:worker_threads'
import { fromWire, processFile, toWire, type Decode, type Outcome, type ProcessOptions, type WireOutcome } from '../import/process-file'
import type { FoundFile } from '../import/walk'

/** Marks the workerData of a decode helper (the import worker's own module, started again). */
export const DECODE_HELPER = 'pictor-import-decode-helper'

interface Request { id: number; file: FoundFile; options: ProcessOptions }
interface Reply { id: number; outcome: WireOutcome }

interface Helper {
  worker: Worker
  pending: Map<number, { resolve: (outcome: Outcome) => void; reject: (error: Error) => void }>
}

/**
 * Decode helper threads for one import. sharp does its pixel work on libuv's pool, but every
 * pipeline also costs about half a millisecond on the calling JavaScript thread (its options cross
 * into C++ synchronously): for small images one thread caps an import at a few hundred files per
 * second with cores idle. One helper per core runs that part in parallel; the import's own thread
 * keeps the database and the thumbnail writes.
 */
export class ImportDecoders {
  readonly #helpers: Helper[]
  #nextId = 0
  #closed = false

  constructor(modulePath: string, count: number) {
    this.#helpers = Array.from({ length: Math.max(1, count) }, () => {
      const helper: Helper = { worker: new Worker(modulePath, { workerData: DECODE_HELPER }), pending: new Map() }
      helper.worker.on('message', ({ id, outcome }: Reply) => {
        const waiting = helper.pending.get(id)
        helper.pending.delete(id)
        waiting?.resolve(fromWire(outcome))
      })
      const fail = (error: Error) => {
        for (const waiting of helper.pending.values()) waiting.reject(error)
        helper.pending.clear()
      }
      helper.worker.on('error', fail)
      helper.worker.on('exit', (code) => {
        if (!this.#closed) fail(new Error(`an import decode thread stopped (exit code ${code})`))
      })
      return helper
    })
  }

  /** Hands the file to the helper with the fewest files in flight. */
  readonly decode: Decode = (file, options) => {
    const helper = this.#helpers.reduce((best, candidate) => (candidate.pending.size < best.pending.size ? candidate : best))
    const id = this.#nextId++
    return new Promise<Outcome>((resolve, reject) => {
      helper.pending.set(id, { resolve, reject })
      helper.worker.postMessage({ id, file, options } satisfies Request)
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    await Promise.all(this.#helpers.map((helper) => helper.worker.terminate()))
  }
}

/** The helper side: decodes whatever it is sent, one reply per request, until it is terminated. */
export function serveDecodes(): void {
  const port = parentPort
  if (!port) throw new Error('serveDecodes must run inside a worker thread')
  port.on('message', ({ id, file, options }: Request) => {
    void processFile(file, options).then((outcome) => {
      const { wire, transfer } = toWire(outcome)
      port.postMessage({ id, outcome: wire } satisfies Reply, transfer)
    })
  })
}
