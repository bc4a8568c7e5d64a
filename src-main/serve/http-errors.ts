// What a request did wrong, as the HTTP status and the JSON body `{"error": "...", "code": "..."}`
// the server answers with. Every bad input is one of these (a 4xx); anything else that escapes a
// handler is the server's own fault and the only thing answered with a 500.
import { AppError } from '../core/errors'
import { DecodeError } from '../classifier/decode'
import { TooManyPixelsError } from './serve-model'

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

export const badRequest = (message: string, code = 'INVALID_REQUEST') => new HttpError(400, code, message)

/** An image that cannot be used, as the client's mistake: 413 for a decompression bomb, else 400. */
export function imageError(error: unknown, which: string): HttpError | null {
  if (error instanceof TooManyPixelsError) return new HttpError(413, 'TOO_MANY_PIXELS', `${which} is refused: ${error.message.replace(/^cannot decode the image for training: /, '')}`)
  if (error instanceof DecodeError) {
    const reason = error.message.replace(/^cannot decode the image for training: /, '')
    return new HttpError(400, 'NOT_AN_IMAGE', `${which} is not an image Pictor can decode (JPEG, PNG, WebP, …): ${reason}`)
  }
  return null
}

/** Any thrown value → status and body; unknown errors become 500 INTERNAL with a short message. */
export function errorResponse(error: unknown): { status: number; code: string; message: string; headers: Record<string, string> } {
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message, headers: error.headers }
  const image = imageError(error, 'the image')
  if (image) return errorResponse(image)
  if (error instanceof AppError) {
    const status = error.code === 'NOT_FOUND' ? 404 : error.code === 'UNAUTHORIZED' ? 401 : error.code === 'INVALID_REQUEST' ? 400 : 500
    return { status, code: error.code, message: error.message, headers: {} }
  }
  const message = ((error as Error)?.message ?? String(error)).split('\n')[0]!.slice(0, 300)
  return { status: 500, code: 'INTERNAL', message, headers: {} }
}
