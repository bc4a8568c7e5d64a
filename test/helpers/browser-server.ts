import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server'
import { createServices, type Services } from '../../src-main/services/services'
import { makeTempDir, removeTempDir } from './temp-dir'

export const INDEX_HTML = '<!doctype html><title>Pictor test shell</title><script src="/assets/app.js"></script>'
export const APP_JS = 'console.log("pictor test app")'
export const SECRET = 'TOP SECRET: outside the renderer folder'

export interface ServerFixture {
  server: BrowserServer
  services: Services
  /** The temp folder: data/, renderer/ and secret.txt (outside renderer/). */
  root: string
  rendererDir: string
}

/**
 * Per test: a real browser-mode server over real services, with a temp data folder and a tiny
 * renderer (index.html, assets/app.js). Closed and removed after each test.
 */
export function useBrowserServer(): () => ServerFixture {
  let fixture: ServerFixture | undefined
  beforeEach(async () => {
    const root = makeTempDir('pictor-server-')
    const rendererDir = join(root, 'renderer')
    mkdirSync(join(rendererDir, 'assets'), { recursive: true })
    writeFileSync(join(rendererDir, 'index.html'), INDEX_HTML)
    writeFileSync(join(rendererDir, 'assets', 'app.js'), APP_JS)
    writeFileSync(join(root, 'secret.txt'), SECRET)
    const services = createServices({ dataDir: join(root, 'data'), transport: 'browser' })
    const server = await startBrowserServer({ services, rendererDir })
    fixture = { server, services, root, rendererDir }
  })
  afterEach(async () => {
    if (!fixture) return
    await fixture.server.close()
    fixture.services.close()
    removeTempDir(fixture.root)
    fixture = undefined
  })
  return () => {
    if (!fixture) throw new Error('the server only runs while a test runs')
    return fixture
  }
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export interface RawRequest {
  port: number
  path: string
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** Defaults to 127.0.0.1. */
  address?: string
}

/**
 * A request through node:http, which (unlike fetch) sends the path verbatim (no `..` folding) and
 * lets a test set any Host header.
 */
export function rawRequest(options: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: options.address ?? '127.0.0.1',
        port: options.port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') })
        )
        response.on('error', reject)
      }
    )
    request.on('error', reject)
    request.end(options.body)
  })
}

/** POST /api/call/<method> with a bearer token (unless `token` is null) and a JSON body. */
export async function callApi(
  server: BrowserServer,
  method: string,
  body: unknown = {},
  token: string | null = server.token
): Promise<{ status: number; envelope: unknown }> {
  const response = await fetch(`${server.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body)
  })
  return { status: response.status, envelope: await response.json() }
}
