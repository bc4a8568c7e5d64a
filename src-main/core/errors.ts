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

/** Node's errno codes that mean "that is not a path you can use", as opposed to "the disk refused". */
const BAD_PATH_CODES: Record<string, string> = {
  ENAMETOOLONG: 'a name in the path is too long',
  ELOOP: 'the path goes round in a loop of symbolic links',
  EINVAL: 'the path is not valid here'
}

/** Maps Node's system errors to contract errors with a sentence a user understands. */
export function fromSystemError(error: unknown, what: string): AppError | null {
  const code = (error as NodeJS.ErrnoException | null)?.code
  if (typeof code !== 'string') return null
  const cause = { cause: error }
  if (code === 'ENOENT') return new AppError('NOT_FOUND', `${what} does not exist`, cause)
  if (code === 'EACCES' || code === 'EPERM') return new AppError('IO_ERROR', `${what}: permission denied`, cause)
  if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('IO_ERROR', `${what}: the disk is full`, cause)
  if (code === 'EROFS') return new AppError('READ_ONLY', `${what} is on a read-only disk`, cause)
  if (code === 'EEXIST') return new AppError('ALREADY_EXISTS', `${what} already exists`, cause)
  if (BAD_PATH_CODES[code]) return new AppError('INVALID_REQUEST', `${what}: ${BAD_PATH_CODES[code]}`, cause)
  // Any other failed system call (EIO, EISDIR, ENOTDIR, EBUSY, EMFILE, EXDEV, ...): the operating
  // system refused, and its own words (without the stack) are the most precise thing to show.
  if (/^E[A-Z0-9]+$/.test(code) && 'syscall' in (error as object)) {
    return new AppError('IO_ERROR', `${what}: ${(error as Error).message}`, cause)
  }
  return null
}

/** better-sqlite3's extended result code (SQLITE_READONLY_DIRECTORY, ...), or null for other errors. */
function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null
}

/**
 * SQLite's "someone else holds the lock" family (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT,
 * SQLITE_BUSY_RECOVERY, SQLITE_LOCKED, ...), as better-sqlite3 reports it in `error.code`.
 */
export function isDatabaseBusy(error: unknown): boolean {
  const code = sqliteCode(error)
  return code !== null && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/** What the user reads when a write waited its whole budget for another task's lock. */
export function busyError(cause?: unknown): AppError {
  return new AppError(
    'BUSY',
    'the project is busy with another task (an import or a training run); try again in a moment',
    cause === undefined ? undefined : { cause }
  )
}

export const READ_ONLY_MESSAGE = 'this project is open read-only (its file or folder is read-only), so it cannot be changed; copy it to a folder you can write to'

export const CORRUPT_MESSAGE = 'the project file is damaged (SQLite: "database disk image is malformed"); close it and restore a backup'

/**
 * Maps SQLite's own errors to contract errors. Reaching one of these means a check before the write
 * missed a case, but the user still gets a code and a sentence instead of INTERNAL.
 */
export function fromSqliteError(error: unknown): AppError | null {
  const code = sqliteCode(error)
  if (code === null) return null
  const cause = { cause: error }
  const detail = (error as Error).message
  if (isDatabaseBusy(error)) return busyError(error)
  if (code.startsWith('SQLITE_READONLY')) return new AppError('READ_ONLY', READ_ONLY_MESSAGE, cause)
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return new AppError('CORRUPT_PROJECT', CORRUPT_MESSAGE, cause)
  if (code === 'SQLITE_FULL') return new AppError('IO_ERROR', 'the disk is full: the project could not be written', cause)
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) {
    return new AppError('IO_ERROR', `the project file could not be read or written (${detail})`, cause)
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new AppError('ALREADY_EXISTS', `that already exists (${detail})`, cause)
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new AppError('NOT_FOUND', 'that refers to something that does not exist', cause)
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH') {
    return new AppError('INVALID_REQUEST', `a value was refused by the project's rules (${detail})`, cause)
  }
  return null
}

/** Any error as the contract error a user can act on, or null for a bug (which answers INTERNAL). */
export function toAppError(error: unknown, what = 'the file'): AppError | null {
  if (error instanceof AppError) return error
  return fromSqliteError(error) ?? fromSystemError(error, what)
}
