// The HTTP plumbing of `pictor serve` on node:http: bearer-token check, body size limit, request
// timeout, Content-Type checks, route matching and JSON errors. Every request ends with a status
// that says whose fault it was: 4xx for anything the client sent wrong, 5xx only for the server's.
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { badRequest, errorResponse, HttpError } from './http-errors'
import type { Reply, Route, RouteContext } from './route-types'
import type { ServeMetricsSink } from './serve-types'

export interface HttpServerOptions {
  routes: readonly Route[]
  context: RouteContext
  /** Bearer token every request must carry; null: none needed. */
  token: string | null
  maxBodyBytes: number
  /** Receiving and answering one request may take this long. */
  requestTimeoutMs: number
  metrics: ServeMetricsSink | null
  /** Each answered request, for the server's stats. */
  onAnswered(status: number, seconds: number): void
}

export interface ServeHttp {
  server: Server
  /** Requests being answered now. */
  inFlight(): number
  /** Of those, requests to routes that take a body (the inference endpoints). */
  postsInFlight(): number
  /** Resolves when no request is being answered. */
  idle(): Promise<void>
  /** From now on answers say Connection: close (the server is draining). */
  startClosing(): void
}

interface CompiledRoute {
  route: Route
  pattern: RegExp
  names: string[]
}

export function createServeHttp(options: HttpServerOptions): ServeHttp {
  const routes = options.routes.map(compile)
  const tokenDigest = options.token === null ? null : digest(options.token)
  let inFlight = 0
  let postsInFlight = 0
  let closing = false
  const waiters: (() => void)[] = []

  const server = createServer((request, response) => {
    inFlight++
    const started = performance.now()
    let endpoint = 'not_found'
    let post = false
    const done = () => {
      inFlight--
      if (post) postsInFlight--
      const seconds = (performance.now() - started) / 1000
      options.metrics?.request(endpoint, response.statusCode)
      options.metrics?.duration('end_to_end', seconds)
      options.onAnswered(response.statusCode, seconds)
      if (inFlight === 0) for (const resolve of waiters.splice(0)) resolve()
    }
    response.once('close', done)
    void (async () => {
      let reply: Reply
      try {
        const found = matchRoute(routes, request)
        endpoint = found.route.endpoint
        post = found.route.body !== undefined
        if (post) postsInFlight++
        if (tokenDigest && !authorized(request, tokenDigest)) {
          throw new HttpError(401, 'UNAUTHORIZED', 'missing or wrong token: send "Authorization: Bearer <token>"', { 'WWW-Authenticate': 'Bearer' })
        }
        const answer = async () => {
          const body = found.route.body ? await readBody(request, found.route.body, options.maxBodyBytes) : Buffer.alloc(0)
          return found.route.handle(options.context, { headers: request.headers, body, params: found.params })
        }
        reply = await withDeadline(answer(), options.requestTimeoutMs, () => request.complete)
      } catch (error) {
        const failure = errorResponse(error)
        if (failure.status >= 500 && failure.code === 'INTERNAL') console.error(`pictor serve: ${request.method} ${request.url}: ${failure.message}`)
        for (const [name, value] of Object.entries(failure.headers)) response.setHeader(name, value)
        // A body left unread (too large, refused early) cannot be skipped safely: close the connection.
        if (!request.complete) response.setHeader('Connection', 'close')
        reply = { status: failure.status, json: { error: failure.message, code: failure.code } }
      }
      send(response, reply, closing)
      if (!request.complete) response.once('finish', () => request.destroy())
    })()
  })
  // Node's own limits: a client that trickles headers or a body is cut off (408).
  server.requestTimeout = options.requestTimeoutMs
  server.headersTimeout = Math.min(options.requestTimeoutMs, 60_000)
  server.keepAliveTimeout = 5_000

  return {
    server,
    inFlight: () => inFlight,
    postsInFlight: () => postsInFlight,
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    startClosing: () => {
      closing = true
    }
  }
}

function send(response: ServerResponse, reply: Reply, closing: boolean): void {
  if (response.headersSent || response.destroyed) return
  const isText = reply.text !== undefined
  const payload = Buffer.from(isText ? reply.text! : JSON.stringify(reply.json ?? {}), 'utf8')
  response.statusCode = reply.status ?? 200
  response.setHeader('Content-Type', reply.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json'))
  response.setHeader('Content-Length', payload.length)
  response.setHeader('Cache-Control', 'no-store')
  if (closing) response.setHeader('Connection', 'close')
  response.end(payload)
}

function compile(route: Route): CompiledRoute {
  const names: string[] = []
  const source = route.path
    .split(/(\{[a-z]+\})/)
    .map((part) => {
      const param = /^\{([a-z]+)\}$/.exec(part)
      if (!param) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      names.push(param[1]!)
      return '([^/]+?)'
    })
    .join('')
  return { route, pattern: new RegExp(`^${source}$`), names }
}

function matchRoute(routes: readonly CompiledRoute[], request: IncomingMessage): { route: Route; params: Record<string, string> } {
  const path = (request.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/'
  let otherMethod: Route | null = null
  for (const compiled of routes) {
    const match = compiled.pattern.exec(path)
    if (!match) continue
    if (compiled.route.method !== request.method && !(compiled.route.method === 'GET' && request.method === 'HEAD')) {
      otherMethod ??= compiled.route
      continue
    }
    const params: Record<string, string> = {}
    try {
      compiled.names.forEach((name, index) => (params[name] = decodeURIComponent(match[index + 1]!)))
    } catch {
      throw badRequest(`the path ${path} is not valid URL encoding`)
    }
    return { route: compiled.route, params }
  }
  if (otherMethod) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes ${otherMethod.method}, not ${request.method}`, { Allow: otherMethod.method })
  throw new HttpError(404, 'NOT_FOUND', `no endpoint ${request.method} ${path} (see /v2/models/{name}, /v1/models/{name}:predict, /predict, /metrics)`)
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

/** Bearer token, compared in constant time (digests of equal length, whatever was sent). */
function authorized(request: IncomingMessage, expected: Buffer): boolean {
  const header = request.headers.authorization ?? ''
  const match = /^Bearer\s+(.+)$/i.exec(header.trim())
  return timingSafeEqual(digest(match?.[1] ?? ''), expected) && match !== null
}

async function readBody(request: IncomingMessage, kind: 'json' | 'bytes', limit: number): Promise<Buffer> {
  checkContentType(request.headers['content-type'], kind)
  const declared = Number(request.headers['content-length'])
  const tooLarge = () => new HttpError(413, 'BODY_TOO_LARGE', `the body is larger than the ${formatBytes(limit)} limit`)
  if (Number.isFinite(declared) && declared > limit) throw tooLarge()
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of request) {
    total += (chunk as Buffer).length
    if (total > limit) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, total)
}

/** JSON endpoints take JSON (or curl -d's default form type); /predict takes a file, not a form or JSON. */
function checkContentType(header: string | undefined, kind: 'json' | 'bytes'): void {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === '') return
  if (kind === 'json' && !(type.includes('json') || type === 'application/x-www-form-urlencoded' || type === 'text/plain')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `this endpoint takes JSON, not ${type}`)
  }
  if (kind === 'bytes' && (type.includes('json') || type.startsWith('multipart/'))) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `/predict takes the image file itself as the body (curl --data-binary @photo.jpg), not ${type}`)
  }
}

/** The whole request (receiving the body, then answering) within `ms`: 408 while the body is still arriving, else 503. */
function withDeadline<T>(work: Promise<T>, ms: number, received: () => boolean): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const seconds = ms / 1000
      reject(
        received()
          ? new HttpError(503, 'TIMEOUT', `the answer took longer than ${seconds} s; try again shortly`, { 'Retry-After': '1' })
          : new HttpError(408, 'REQUEST_TIMEOUT', `the request did not arrive within ${seconds} s`)
      )
    }, ms)
  })
  work.catch(() => {}) // settled after the deadline: already answered
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${Math.round(bytes / (1 << 20))} MiB` : `${Math.round(bytes / 1024)} KiB`
}
