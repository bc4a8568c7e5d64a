import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { AppError } from '../core/errors'

export interface DownloadOptions {
  signal?: AbortSignal
  /** Refuse a file of any other size (checked against Content-Length first, then the bytes received). */
  expectedBytes?: number
  /** Refuse a file with another SHA-256 (hex). */
  sha256?: string | null
  onProgress?: (done: number, total: number | null) => void
  /** Appended to every failure: what the user can do instead (e.g. import the file offline). */
  hint?: string
}

export interface Downloaded {
  bytes: number
  sha256: string
}

const PROGRESS_STEP = 256 * 1024

function failure(message: string, hint: string | undefined, cause?: unknown): AppError {
  return new AppError('IO_ERROR', hint ? `${message}. ${hint}` : message, cause === undefined ? undefined : { cause })
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  if (cause?.code === 'ECONNREFUSED') return 'the connection was refused'
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'the server could not be found (no internet connection?)'
  if (cause?.code === 'ETIMEDOUT' || cause?.code === 'UND_ERR_CONNECT_TIMEOUT') return 'the connection timed out'
  if (cause?.code === 'UND_ERR_SOCKET' || /terminated/i.test(String((error as Error).message))) return 'the connection was closed before the file was complete'
  return cause?.message ?? (error as Error).message
}

/**
 * Downloads `url` into `destination` (which the caller removes on failure), hashing as it goes.
 * Every failure is an AppError IO_ERROR that says what went wrong, plus `hint`; an abort is CANCELLED.
 */
export async function downloadFile(url: string, destination: string, options: DownloadOptions = {}): Promise<Downloaded> {
  const { signal, expectedBytes, hint } = options
  const host = (() => {
    try {
      return new URL(url).host
    } catch {
      throw new AppError('INVALID_REQUEST', `not a valid download URL: ${url}`)
    }
  })()
  const cancelled = () => new AppError('CANCELLED', 'the download was cancelled')
  let response: Response
  try {
    response = await fetch(url, { signal: signal ?? null, redirect: 'follow' })
  } catch (error) {
    if (signal?.aborted) throw cancelled()
    throw failure(`Could not download from ${host}: ${networkReason(error)}`, hint, error)
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined)
    throw failure(`Could not download from ${host}: the server answered ${response.status} ${response.statusText}`.trim(), hint)
  }
  // A compressed transfer announces the compressed length; only an identity transfer's length is checkable.
  const encoding = response.headers.get('content-encoding')
  const announced = encoding && encoding !== 'identity' ? Number.NaN : Number(response.headers.get('content-length') ?? Number.NaN)
  const total = Number.isFinite(announced) ? announced : (expectedBytes ?? null)
  if (expectedBytes !== undefined && Number.isFinite(announced) && announced !== expectedBytes) {
    await response.body.cancel().catch(() => undefined)
    throw failure(`The server at ${host} offers ${announced} bytes, but the file has ${expectedBytes}: it is not the expected file`, hint)
  }

  const hash = createHash('sha256')
  const file = await open(destination, 'w')
  let done = 0
  let reported = 0
  try {
    options.onProgress?.(0, total)
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await file.write(chunk)
      hash.update(chunk)
      done += chunk.byteLength
      if (expectedBytes !== undefined && done > expectedBytes) throw failure(`The download from ${host} is larger than the expected ${expectedBytes} bytes`, hint)
      if (done - reported >= PROGRESS_STEP) {
        reported = done
        options.onProgress?.(done, total)
      }
    }
    await file.sync()
  } catch (error) {
    if (signal?.aborted) throw cancelled()
    if (error instanceof AppError) throw error
    throw failure(`The download from ${host} failed after ${done} bytes: ${networkReason(error)}`, hint, error)
  } finally {
    await file.close()
  }
  options.onProgress?.(done, total)
  if (expectedBytes !== undefined && done !== expectedBytes) {
    throw failure(`The download from ${host} is incomplete: ${done} of ${expectedBytes} bytes arrived`, hint)
  }
  if (Number.isFinite(announced) && done !== announced) {
    throw failure(`The download from ${host} is incomplete: ${done} of ${announced} bytes arrived`, hint)
  }
  const sha256 = hash.digest('hex')
  if (options.sha256 && options.sha256.toLowerCase() !== sha256) {
    throw failure(`The download from ${host} is damaged: its SHA-256 is ${sha256}, expected ${options.sha256}`, hint)
  }
  return { bytes: done, sha256 }
}
