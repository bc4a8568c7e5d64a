import { z } from 'zod'

// Serving a run from the app (issue 16, the Monitor view): the same server `pictor serve` runs, in a
// worker thread of its own so requests never wait on the event loop that answers the UI. One server
// at a time, always on 127.0.0.1 (the app offers no other host: `pictor serve --host` with a token is
// the way to expose one). While it runs, main publishes a 'serve.stats' event about once a second.

function returns<T>(): T {
  return undefined as T
}

/** The port `pictor serve` uses too; 0 asks for any free port. */
export const DEFAULT_SERVE_PORT = 8500
/** The only host the app binds. */
export const SERVE_HOST = '127.0.0.1'

export const serveMethods = {
  /** Starts a server for a finished run of the open project (BUSY while one runs); answers once it listens. */
  'serve.start': {
    request: z
      .object({
        runId: z.number().int().positive(),
        port: z.number().int().min(0, 'a port is 0 (any free port) to 65535').max(65535, 'a port is 0 (any free port) to 65535').default(DEFAULT_SERVE_PORT),
        maxBatch: z.number().int().min(1).max(256).default(32),
        batchDelayMs: z.number().int().min(0).max(1000).default(5)
      })
      .strict(),
    response: returns<ServeStarted>()
  },
  /** Stops the running server (draining requests in flight); `stopped` is false when none ran. */
  'serve.stop': { request: z.object({}).strict(), response: returns<{ stopped: boolean }>() },
  /** The running server's figures now, or null when none runs. */
  'serve.status': { request: z.object({}).strict(), response: returns<ServeSnapshot | null>() }
} as const

export interface ServeStarted {
  url: string
  /** The model's name in URLs (/v2/models/{name}). */
  name: string
  runId: number
}

/** A drift verdict as the server reports it (src-main/serve/drift/drift-monitor.ts; the server's DriftReport is this type). */
export interface ServeDriftReport {
  observed: number
  windowSize: number
  minimumObserved: number
  classPsi: number
  lowConfidenceShare: number
  referenceLowConfidenceShare: number
  lowConfidenceThreshold: number
  components: { index: number; ks: number; pValue: number }[]
  thresholds: { classPsi: number; alpha: number; lowConfidenceIncrease: number }
  reasons: string[]
  drift: boolean
}

/** A server's figures (src-main/serve/server-stats.ts; the server's ServerStats is this type). */
export interface ServeStats {
  url: string
  name: string
  startedAt: number
  requests: number
  errors: number
  /** Requests per second over the last 10 s. */
  requestRate: number
  /** End-to-end seconds over the last (up to) 1000 requests; null before the first. */
  latency: { p50: number; p95: number; p99: number } | null
  /** Upper bounds in seconds and counts per bucket, over the same requests. */
  latencyHistogram: { le: number; count: number }[]
  /** Per label: share of recent predictions against the training share. */
  classMix: { label: string; served: number; training: number }[]
  drift: ServeDriftReport | null
  /** One point per 10 s while the server runs. */
  driftHistory: { at: number; drift: boolean; classPsi: number }[]
}

export interface ServeSnapshot extends ServeStats {
  runId: number
}

/** The 'serve.stats' event: the running server's figures, or null once it has stopped (with why, when nobody asked). */
export interface ServeEvent {
  snapshot: ServeSnapshot | null
  /** Set when the server stopped without serve.stop: the project closed, or the worker failed. */
  stoppedBecause: string | null
}
