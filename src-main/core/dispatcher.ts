import { fail, ok, type Envelope } from '../contract/envelope'
import { isMethodName, methods, type MethodName, type ParsedRequestOf, type ResponseOf } from '../contract/methods'
import { toAppError } from './errors'
import { pathsInRequest } from './request-paths'
import { systemPathProblem } from './system-paths'

/** One handler per contract method; the compiler rejects a missing or mistyped one. */
export type Handlers = {
  [M in MethodName]: (request: ParsedRequestOf<M>) => ResponseOf<M> | Promise<ResponseOf<M>>
}

export type Dispatch = (method: string, request: unknown) => Promise<Envelope<unknown>>

export interface DispatcherOptions {
  /** Where unexpected errors (bugs) are reported; expected AppErrors are not logged. */
  logError?: (method: string, error: unknown) => void
  /**
   * Runs before a valid request reaches its handler; an AppError it throws is the answer (the
   * services refuse writes to a read-only project here, before a job starts).
   */
  guard?: (method: MethodName) => void
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
      // The contract's path rules that need the disk: no link into /dev, /proc, /sys, no device.
      for (const { field, path } of pathsInRequest(methods[method].request, parsed.data)) {
        const problem = systemPathProblem(path)
        if (problem) return fail('INVALID_REQUEST', `${method}: ${field}: ${problem}`)
      }
      options.guard?.(method)
      const handler = handlers[method] as (request: unknown) => unknown
      return ok(await handler(parsed.data))
    } catch (error) {
      // Errors a user can act on, with their code: our own AppErrors, and what SQLite and the
      // operating system say in terms a user can act on (another task held the write lock: BUSY;
      // a read-only project: READ_ONLY; a damaged one: CORRUPT_PROJECT; a full disk: IO_ERROR).
      const known = toAppError(error)
      if (known) return fail(known.code, known.message)
      logError(method, error)
      const message = error instanceof Error ? error.message : String(error)
      return fail('INTERNAL', `${method} failed unexpectedly: ${message}`)
    }
  }
}
