// What a route sees and answers: the plumbing (auth, body limits, timeouts, JSON errors) lives in
// http-server.ts, the protocols in routes-v2.ts (Open Inference Protocol) and routes-v1.ts
// (TF Serving REST, raw bytes, metrics).
import { badRequest, HttpError, imageError } from './http-errors'
import type { DriftMonitorLike, ServeModel } from './serve-types'

export interface Classified {
  label: string
  confidence: number
  probabilities: Float32Array
}

export interface RouteContext {
  model: ServeModel
  /** Preprocessed images through the batcher: one answer per image, in order. */
  classify(inputs: readonly Float32Array[]): Promise<Classified[]>
  /** False while the server drains for shutdown. */
  ready(): boolean
  metricsText: (() => Promise<string>) | null
  drift: DriftMonitorLike | null
  /** Fresh drift report for /metrics' gauges (null without a monitor). */
  sampleDrift(): void
}

export interface RouteRequest {
  headers: Record<string, string | string[] | undefined>
  /** The request body (empty for GET). */
  body: Buffer
  /** Path parameters, e.g. { name } for /v2/models/{name}. */
  params: Record<string, string>
}

export interface Reply {
  status?: number
  json?: unknown
  text?: string
  contentType?: string
}

export interface Route {
  method: 'GET' | 'POST'
  /** Path with {param} segments, e.g. '/v2/models/{name}/infer'. */
  path: string
  /** The metrics' endpoint family ('v2_infer', 'health', ...). */
  endpoint: string
  /** What the body must be: JSON, or any bytes (an image). GET routes take none. */
  body?: 'json' | 'bytes'
  handle(context: RouteContext, request: RouteRequest): Promise<Reply> | Reply
}

/** 404 for a name this server does not serve (one server, one model). */
export function requireModel(context: RouteContext, request: RouteRequest): void {
  const name = request.params.name ?? ''
  if (name !== context.model.name) {
    throw new HttpError(404, 'MODEL_NOT_FOUND', `model "${name}" is not served here; this server serves "${context.model.name}"`)
  }
}

/** The body as JSON, 400 when it is not. */
export function parseJson(request: RouteRequest): unknown {
  try {
    return JSON.parse(request.body.toString('utf8'))
  } catch (error) {
    throw badRequest(`the body is not valid JSON: ${(error as Error).message.split('\n')[0]}`, 'BAD_JSON')
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Base64 text → bytes, 400 for anything else (Node's decoder would silently skip bad characters). */
export function base64Bytes(value: unknown, which: string): Buffer {
  if (typeof value !== 'string') throw badRequest(`${which} must be a base64 string`, 'INVALID_DATATYPE')
  const text = value.replace(/\s+/g, '')
  if (text.length === 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw badRequest(`${which} is not base64`, 'INVALID_BASE64')
  return Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64')
}

/** Decodes and preprocesses every image at once (sharp's pool); the first bad one fails the request with its index. */
export async function preprocessAll(model: ServeModel, images: readonly Buffer[], which: (index: number) => string): Promise<Float32Array[]> {
  const settled = await Promise.allSettled(images.map((bytes) => model.preprocessBuffer(bytes)))
  return settled.map((result, index) => {
    if (result.status === 'fulfilled') return result.value
    throw imageError(result.reason, which(index)) ?? result.reason
  })
}

/** Nested or flat JSON arrays of numbers → one Float32Array (row-major), 400 for anything that is not a finite number. */
export function flatNumbers(data: unknown, expected: number, which: string): Float32Array {
  const out = new Float32Array(expected)
  let count = 0
  const stack: unknown[] = [data]
  while (stack.length > 0) {
    const item = stack.pop()
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i])
    } else if (typeof item === 'number' && Number.isFinite(item)) {
      if (count >= expected) throw badRequest(`${which} has more than the ${expected} values its shape needs`, 'INVALID_SHAPE')
      out[count++] = item
    } else {
      throw badRequest(`${which} must hold finite numbers only, found ${JSON.stringify(item)?.slice(0, 40)}`, 'INVALID_DATATYPE')
    }
  }
  if (count !== expected) throw badRequest(`${which} has ${count} values, its shape needs ${expected}`, 'INVALID_SHAPE')
  return out
}
