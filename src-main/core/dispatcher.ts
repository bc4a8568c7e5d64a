import { fail, ok, type Envelope } from '../contract/envelope'
import { isMethodName, methods, type MethodName, type ParsedRequestOf, type ResponseOf } from '../contract/methods'
import { AppError, busyError, isDatabaseBusy } from './errors'

/** One handler per contract method; the compiler rejects a missing or mistyped one. */
export type Handlers = {
  [M in MethodName]: (request: ParsedRequestOf<M>) => ResponseOf<M> | Promise<ResponseOf<M>>
}

export type Dispatch = (method: string, request: unknown) => Promise<Envelope<unknown>>

export interface DispatcherOptions {
  /** Where unexpected errors (bugs) are reported; expected AppErrors are not logged. */
  logError?: (method: string, error: unknown) => void
}

/**
 * The boundary: every transport hands raw, untrusted (method, request) pairs to this function.
 * It validates, runs the handler and always resolves to an envelope — it never throws.
 */
export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatch {
  const logError = options.logError ?? ((method, error) => console.error(`[pictor] ${method} failed:`, error))

  return async (method, request) => {
    if (typeof method !== 'string' || !isMethodName(method)) {
      const shown = typeof method === 'string' ? method.slice(0, 100) : `(a ${typeof method})`
      return fail('UNKNOWN_METHOD', `unknown method: ${shown}`)
    }
    const parsed = methods[method].request.safeParse(request ?? {})
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
        .join('; ')
      return fail('INVALID_REQUEST', `${method}: ${issues}`)
    }
    try {
      const handler = handlers[method] as (request: unknown) => unknown
      return ok(await handler(parsed.data))
    } catch (error) {
      if (error instanceof AppError) return fail(error.code, error.message)
      // Another task held the project's write lock longer than this connection waits: the user
      // can act on that (wait, retry), so it is BUSY with a sentence, not a bug.
      if (isDatabaseBusy(error)) {
        const busy = busyError(error)
        return fail(busy.code, busy.message)
      }
      logError(method, error)
      const message = error instanceof Error ? error.message : String(error)
      return fail('INTERNAL', `${method} failed unexpectedly: ${message}`)
    }
  }
}
