// Starts `pictor serve` on a loaded ServeModel: checks the safety rules (loopback unless a token or
// an explicit --insecure), wires the batcher, the routes, the metrics and the drift monitor together,
// and gives back a handle whose close() stops accepting, answers what is in flight, then frees the model.
import type { AddressInfo } from 'node:net'
import { AppError } from '../core/errors'
import { Batcher } from './batcher'
import { createServeHttp } from './http-server'
import type { RouteContext } from './route-types'
import { V1_ROUTES } from './routes-v1'
import { V2_ROUTES } from './routes-v2'
import { ServerStatsRecorder } from './server-stats'
import type { DriftMonitorLike, DriftReference, RunningServer, ServeMetricsSink, ServeModel } from './serve-types'

export interface StartServerOptions {
  model: ServeModel
  /** 127.0.0.1 by default; any other address needs `token` or `insecure`. */
  host?: string
  /** 8500 by default; 0 picks a free port (the URL says which). */
  port?: number
  maxBatch?: number
  batchDelayMs?: number
  /** Bearer token every request must send; null/undefined: none. */
  token?: string | null
  /** Allow a non-loopback host without a token (anyone who can reach the port can use the model). */
  insecure?: boolean
  /** Counts requests for /metrics; without it /metrics answers 503. */
  metrics?: (ServeMetricsSink & { metricsText(): Promise<string> }) | null
  drift?: DriftMonitorLike | null
  /** The training class shares for stats().classMix (else training shares are 0). */
  reference?: DriftReference | null
  /** Largest request body (default 32 MiB: a few base64 photos). */
  maxBodyBytes?: number
  /** Longest a request may take to arrive and be answered (default 30 s). */
  requestTimeoutMs?: number
  /** Images that may wait for the model (default 8 × maxBatch); more → 503 with Retry-After. */
  maxQueue?: number
}

export const SERVE_DEFAULTS = { host: '127.0.0.1', port: 8500, maxBatch: 32, batchDelayMs: 5, maxBodyBytes: 32 << 20, requestTimeoutMs: 30_000 }

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

export async function startModelServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? SERVE_DEFAULTS.host
  const port = options.port ?? SERVE_DEFAULTS.port
  const maxBatch = options.maxBatch ?? SERVE_DEFAULTS.maxBatch
  const batchDelayMs = options.batchDelayMs ?? SERVE_DEFAULTS.batchDelayMs
  const token = options.token ?? null
  checkOptions({ host, port, maxBatch, batchDelayMs, token, insecure: options.insecure ?? false })
  const { model } = options
  const metrics = options.metrics ?? null
  const drift = options.drift ?? null

  let url = ''
  const stats = new ServerStatsRecorder({
    get url() {
      return url
    },
    name: model.name,
    labels: model.labels,
    reference: options.reference ?? null,
    drift,
    onDriftSample: (report) => metrics?.drift(report)
  })
  const batcher: Batcher = new Batcher(model, {
    maxBatch,
    delayMs: batchDelayMs,
    ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
    metrics,
    // Inference requests still being received or decoded, i.e. not yet in the batcher's queue.
    arriving: (): number => http.postsInFlight() - batcher.activeRequests,
    onPredicted: (probabilities, features) => drift?.observe(probabilities, features)
  })
  let closing = false
  const context: RouteContext = {
    model,
    async classify(inputs) {
      const answers = await batcher.submit(inputs)
      const classified = answers.map(({ probabilities }) => {
        let best = 0
        for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[best]!) best = i
        return { index: best, label: model.labels[best]!, confidence: probabilities[best]!, probabilities }
      })
      stats.predicted(classified.map((answer) => answer.index))
      metrics?.predictions(classified.map((answer) => answer.label))
      return classified
    },
    ready: () => !closing,
    metricsText: metrics ? () => metrics.metricsText() : null,
    drift,
    sampleDrift: () => {
      if (drift) metrics?.drift(drift.report())
    }
  }
  const http = createServeHttp({
    routes: [...V2_ROUTES, ...V1_ROUTES],
    context,
    token,
    maxBodyBytes: options.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyBytes,
    requestTimeoutMs: options.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs,
    metrics,
    onAnswered: (status, seconds) => stats.request(status, seconds)
  })

  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      stats.stop()
      if (error.code === 'EADDRINUSE') reject(new AppError('IO_ERROR', `port ${port} on ${host} is already in use; choose another with --port`))
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new AppError('INVALID_REQUEST', `cannot listen on ${host}: no such address on this machine`))
      else if (error.code === 'EACCES') reject(new AppError('IO_ERROR', `not allowed to listen on port ${port} (ports below 1024 need administrator rights)`))
      else reject(error)
    }
    http.server.once('error', failed)
    http.server.listen(port, host, () => {
      http.server.off('error', failed)
      resolve()
    })
  })
  const address = http.server.address() as AddressInfo
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : host === 'localhost' ? 'localhost' : address.address}:${address.port}`

  let closed: Promise<void> | null = null
  return {
    url,
    name: model.name,
    stats: () => stats.snapshot(),
    close() {
      closed ??= (async () => {
        closing = true
        http.startClosing()
        const stopped = new Promise<void>((resolve) => http.server.close(() => resolve()))
        // Idle keep-alive connections would hold close() open; busy ones finish their answer first.
        http.server.closeIdleConnections()
        await http.idle()
        await batcher.drained()
        http.server.closeAllConnections()
        await stopped
        stats.stop()
        model.dispose()
      })()
      return closed
    }
  }
}

function checkOptions(options: { host: string; port: number; maxBatch: number; batchDelayMs: number; token: string | null; insecure: boolean }): void {
  const { host, port, maxBatch, batchDelayMs, token, insecure } = options
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('INVALID_REQUEST', `the port must be 0-65535, got ${port}`)
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1024) throw new AppError('INVALID_REQUEST', `the largest batch must be 1-1024 images, got ${maxBatch}`)
  if (!Number.isFinite(batchDelayMs) || batchDelayMs < 0 || batchDelayMs > 10_000) throw new AppError('INVALID_REQUEST', `the batch delay must be 0-10000 ms, got ${batchDelayMs}`)
  if (token !== null && token.length < 8) throw new AppError('INVALID_REQUEST', 'the token must be at least 8 characters')
  if (!isLoopback(host) && token === null && !insecure) {
    throw new AppError('INVALID_REQUEST', `listening on ${host} lets other machines use the model: give --token TOKEN (clients send "Authorization: Bearer TOKEN") or --insecure`)
  }
}
