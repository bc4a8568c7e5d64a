// The envelope every contract call answers with, on every transport (Electron IPC, browser mode, CLI).
// Errors are values, never thrown across the boundary: the renderer always gets a code it can act on.

export const ERROR_CODES = [
  'INVALID_REQUEST', // the request did not match the method's schema
  'UNKNOWN_METHOD', // no such method in the contract
  'UNAUTHORIZED', // browser mode: missing or wrong token
  'NO_PROJECT', // the method needs an open project
  'NOT_FOUND', // a file, project or record that does not exist
  'ALREADY_EXISTS', // refusing to overwrite
  'NOT_A_PROJECT', // a file that is not a Pictor project
  'SCHEMA_TOO_NEW', // a project written by a newer Pictor
  'UNSUPPORTED', // not available on this transport (e.g. native dialogs in browser mode)
  'IO_ERROR', // the operating system refused (permissions, disk full, ...)
  'READ_ONLY', // the project is open read-only (a read-only file or folder): it can be looked at, not changed
  'CORRUPT_PROJECT', // the project file is damaged; restore one of its backups
  'CANCELLED', // a job was cancelled
  'BUSY', // the same kind of job is already running, or another task kept the project's write lock too long
  'INTERNAL' // a bug: the message says what, the log says where
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ContractError {
  code: ErrorCode
  message: string
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ContractError }

export function ok<T>(value: T): Envelope<T> {
  return { ok: true, value }
}

export function fail(code: ErrorCode, message: string): Envelope<never> {
  return { ok: false, error: { code, message } }
}
