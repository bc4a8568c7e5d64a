import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fail, type Envelope } from '../contract/envelope'
import { TRY_IMAGE_MAX_BODY_BYTES, tooLargeMessage } from '../contract/try-image'
import type { Services } from '../services/services'
import { answerPath, type RouteContext } from './app-routes'
import { cookieName, isAllowedHost, isLoopbackAddress, newToken, requestToken, sameToken } from './auth'
import { SECURITY_HEADERS } from './csp'

const MAX_BODY_BYTES = 1024 * 1024
const HEARTBEAT_MS = 15_000
export const LOOPBACK_HOST = '127.0.0.1'

export interface BrowserServerOptions {
  services: Services
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** 0 or absent: any free port. */
  port?: number
  token?: string
}

export interface BrowserServer {
  port: number
  token: string
  origin: string
  /** The one URL to open: it carries the token, which the page trades for a cookie. */
  url: string
  close(): Promise<void>
}

/**
 * Browser mode: the same contract as Electron IPC, over HTTP on 127.0.0.1 only. Every request must
 * carry this launch's random token (cookie or bearer header); non-loopback peers and foreign Host
 * headers are refused before anything else runs.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? newToken()
  const { services, rendererDir } = options
  const routes: RouteContext = { rendererDir, thumbnails: services.thumbnails, session: services.session, predictions: services.predictions }
  const streams = new Set<ServerResponse>()
  let port = 0

  const server = createServer((request, response) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value)
    handle(request, response).catch((error) => {
      console.error('[pictor] browser-mode request failed:', error)
      if (!response.headersSent) sendEnvelope(response, 500, fail('INTERNAL', 'the server failed to answer'))
      else response.destroy()
    })
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!isLoopbackAddress(request.socket.remoteAddress)) {
      return sendEnvelope(response, 403, fail('UNAUTHORIZED', 'browser mode only answers this computer'))
    }
    if (!isAllowedHost(request.headers.host, port)) {
      return sendEnvelope(response, 403, fail('UNAUTHORIZED', 'unexpected Host header'))
    }
    const url = parseRequestUrl(request.url, port)
    if (!url) return sendEnvelope(response, 400, fail('INVALID_REQUEST', 'malformed request URL'))

    // First visit: trade the token in the URL for an HttpOnly cookie, then drop it from the address bar.
    const offered = url.searchParams.get('token')
    if (offered !== null) {
      if (!sameToken(offered, token)) return refuse(response, url)
      url.searchParams.delete('token')
      response.setHeader(
        'set-cookie',
        `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`
      )
      // One leading slash only: `//host/` in a Location header would leave our origin.
      response.writeHead(303, { location: `/${url.pathname.replace(/^\/+/, '')}${url.search}` })
      return void response.end()
    }
    if (!sameToken(requestToken(request, port), token)) return refuse(response, url)

    if (url.pathname.startsWith('/api/call/')) return handleCall(request, response, url)
    if (url.pathname === '/api/events') return handleEvents(request, response)
    if (url.pathname.startsWith('/api/')) {
      return sendEnvelope(response, 404, fail('NOT_FOUND', `no such endpoint: ${url.pathname}`))
    }
    return serveStatic(request, response, url.pathname)
  }

  /** Thumbnails, previews and the renderer, as app-routes answers them (the same for Electron). */
  async function serveStatic(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD')
      return sendText(response, 405, 'method not allowed')
    }
    const answer = await answerPath(pathname, routes)
    if (answer.kind === 'refused') {
      if (answer.retryAfterSeconds !== undefined) response.setHeader('retry-after', String(answer.retryAfterSeconds))
      return sendText(response, answer.status, answer.text)
    }
    if (answer.contentSecurityPolicy !== undefined) response.setHeader('content-security-policy', answer.contentSecurityPolicy)
    response.writeHead(200, { 'content-type': answer.contentType, 'content-length': answer.body.length, 'cache-control': answer.cacheControl })
    if (request.method === 'HEAD') return void response.end()
    response.end(answer.body)
  }

  async function handleCall(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST')
      return sendEnvelope(response, 405, fail('INVALID_REQUEST', 'contract calls are POST requests'))
    }
    // A JSON content type forces a CORS preflight from any other origin, which we never grant.
    if (!request.headers['content-type']?.startsWith('application/json')) {
      return sendEnvelope(response, 415, fail('INVALID_REQUEST', 'the body must be application/json'))
    }
    const origin = request.headers.origin
    if (origin !== undefined && !isAllowedHost(origin.replace(/^http:\/\//, ''), port)) {
      return sendEnvelope(response, 403, fail('UNAUTHORIZED', 'cross-origin calls are refused'))
    }
    // Try it sends a dropped image's bytes (up to 25 MB, as base64); every other call stays small.
    const limit = url.pathname === '/api/call/predict.image' ? TRY_IMAGE_MAX_BODY_BYTES : MAX_BODY_BYTES
    const body = await readBody(request, limit)
    if (body === null) return sendEnvelope(response, 413, fail('INVALID_REQUEST', limit === MAX_BODY_BYTES ? 'the request body is too large' : tooLargeMessage('the image')))
    let payload: unknown
    try {
      payload = body.length === 0 ? {} : JSON.parse(body)
    } catch {
      return sendEnvelope(response, 400, fail('INVALID_REQUEST', 'the request body is not valid JSON'))
    }
    const method = safeDecode(url.pathname.slice('/api/call/'.length))
    if (method === null) return sendEnvelope(response, 400, fail('UNKNOWN_METHOD', 'malformed method name'))
    sendEnvelope(response, 200, await services.dispatch(method, payload))
  }

  function handleEvents(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive'
    })
    response.write('retry: 1000\n\n')
    streams.add(response)
    const unsubscribe = services.events.subscribe((event) => {
      response.write(`data: ${JSON.stringify(event)}\n\n`)
    })
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS)
    request.on('close', () => {
      clearInterval(heartbeat)
      unsubscribe()
      streams.delete(response)
    })
  }

  function refuse(response: ServerResponse, url: URL): void {
    if (url.pathname.startsWith('/api/')) {
      return sendEnvelope(response, 401, fail('UNAUTHORIZED', 'missing or wrong Pictor token'))
    }
    sendText(
      response,
      401,
      'Pictor refused this request: open the URL printed in the terminal (it carries a one-launch token).'
    )
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, LOOPBACK_HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  const origin = `http://${LOOPBACK_HOST}:${port}`

  return {
    port,
    token,
    origin,
    url: `${origin}/?token=${token}`,
    close: async () => {
      for (const stream of streams) stream.end()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
  }
}

function parseRequestUrl(raw: string | undefined, port: number): URL | null {
  try {
    return new URL(raw ?? '/', `http://${LOOPBACK_HOST}:${port}`)
  } catch {
    return null
  }
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}

function sendEnvelope(response: ServerResponse, status: number, envelope: Envelope<unknown>): void {
  const body = JSON.stringify(envelope)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store'
  })
  response.end(body)
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
  response.end(text)
}

/** The body as text, or null once it passes the size limit (the rest is not read). */
function readBody(request: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        // Stop buffering but keep draining, so the 413 answer still reaches the client.
        chunks.length = 0
        request.removeAllListeners('data')
        request.resume()
        resolve(null)
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}
