import type { ErrorCode } from '../contract/envelope'

/** An error a user can act on. Services throw it; the dispatcher turns it into an envelope. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'AppError'
  }
}

const IO_CODES = new Set(['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EISDIR', 'ENOTDIR', 'EBUSY', 'EMFILE'])

/** Maps Node's system errors to contract errors with a sentence a user understands. */
export function fromSystemError(error: unknown, what: string): AppError | null {
  const code = (error as NodeJS.ErrnoException | null)?.code
  if (code === 'ENOENT') return new AppError('NOT_FOUND', `${what} does not exist`, { cause: error })
  if (code === 'EACCES' || code === 'EPERM') {
    return new AppError('IO_ERROR', `${what}: permission denied`, { cause: error })
  }
  if (code === 'ENOSPC') return new AppError('IO_ERROR', `${what}: the disk is full`, { cause: error })
  if (code && IO_CODES.has(code)) {
    return new AppError('IO_ERROR', `${what}: ${(error as Error).message}`, { cause: error })
  }
  return null
}

/**
 * SQLite's "someone else holds the lock" family (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT,
 * SQLITE_BUSY_RECOVERY, SQLITE_LOCKED, ...), as better-sqlite3 reports it in `error.code`.
 */
export function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/** What the user reads when a write waited its whole budget for another task's lock. */
export function busyError(cause?: unknown): AppError {
  return new AppError(
    'BUSY',
    'the project is busy with another task (an import or a training run); try again in a moment',
    cause === undefined ? undefined : { cause }
  )
}
