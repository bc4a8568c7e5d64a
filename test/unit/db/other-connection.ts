import { once } from 'node:events'
import { Worker } from 'node:worker_threads'

/**
 * A second connection to a project on its own thread, standing in for a job worker or a second
 * `pictor` process. It must be another thread: SQLite's busy wait blocks the waiting thread, so a
 * lock held on the same thread could never be released while the test waits for it.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require('better-sqlite3')
const db = new Database(workerData.path, { fileMustExist: true })
db.pragma('busy_timeout = 30000')
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
parentPort.on('message', (command) => {
  if (command.type === 'hold') {
    db.exec('BEGIN IMMEDIATE')
    parentPort.postMessage({ type: 'locked' })
    pause(command.ms)
    db.exec('COMMIT')
    parentPort.postMessage({ type: 'released' })
  } else if (command.type === 'write-for') {
    // Many short committed writes, the way an import or a training run writes.
    const insert = db.prepare(command.sql)
    const until = Date.now() + command.ms
    let writes = 0
    let longestMs = 0
    parentPort.postMessage({ type: 'writing' })
    while (Date.now() < until) {
      const started = performance.now()
      insert.run()
      longestMs = Math.max(longestMs, performance.now() - started)
      writes++
      pause(1)
    }
    parentPort.postMessage({ type: 'wrote', writes, longestMs })
  } else if (command.type === 'close') {
    db.close()
    parentPort.close()
  }
})
`

interface Reply {
  type: string
  writes?: number
  longestMs?: number
}

export class OtherConnection {
  readonly #worker: Worker
  // Replies arrive while the test thread may be blocked in SQLite, so they are queued, never missed.
  readonly #queue: Reply[] = []
  readonly #waiting: { type: string; resolve: (reply: Reply) => void; reject: (error: unknown) => void }[] = []

  constructor(path: string) {
    this.#worker = new Worker(SOURCE, { eval: true, workerData: { path } })
    this.#worker.on('message', (reply: Reply) => {
      const index = this.#waiting.findIndex((entry) => entry.type === reply.type)
      if (index >= 0) this.#waiting.splice(index, 1)[0]!.resolve(reply)
      else this.#queue.push(reply)
    })
    this.#worker.on('error', (error) => {
      for (const entry of this.#waiting.splice(0)) entry.reject(error)
    })
  }

  /** Takes the write lock (BEGIN IMMEDIATE) and resolves once it is held; it is released after `ms`. */
  async holdWriteLock(ms: number): Promise<{ released: Promise<void> }> {
    this.#worker.postMessage({ type: 'hold', ms })
    await this.#next('locked')
    return { released: this.#next('released').then(() => undefined) }
  }

  /**
   * Commits `sql` over and over for `ms`; resolves once writing has begun, with the final count and
   * the longest any one write took (waiting for the lock included).
   */
  async writeFor(ms: number, sql: string): Promise<{ done: Promise<{ writes: number; longestMs: number }> }> {
    this.#worker.postMessage({ type: 'write-for', ms, sql })
    await this.#next('writing')
    return { done: this.#next('wrote').then((reply) => ({ writes: reply.writes ?? 0, longestMs: reply.longestMs ?? 0 })) }
  }

  async close(): Promise<void> {
    const exited = once(this.#worker, 'exit')
    this.#worker.postMessage({ type: 'close' })
    await exited
  }

  #next(type: string): Promise<Reply> {
    const index = this.#queue.findIndex((reply) => reply.type === type)
    if (index >= 0) return Promise.resolve(this.#queue.splice(index, 1)[0]!)
    return new Promise<Reply>((resolve, reject) => this.#waiting.push({ type, resolve, reject }))
  }
}
