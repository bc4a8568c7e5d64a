import { accessSync, constants, statSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { AppError } from '../core/errors'

// Projects on a read-only share, a CD, or with a read-only file mode are opened read-only: they can
// be looked at, and every change answers READ_ONLY (issue 13: they used to open "writable", leave
// -wal and -shm files beside them, then fail every write as INTERNAL).
//
// WAL mode makes this delicate. A read-only connection still needs the -wal and -shm files, and
// SQLite creates them if it can or fails (SQLITE_READONLY_DIRECTORY) if it cannot. A cleanly closed
// project has no WAL content, so it is opened as an *immutable* file (SQLite's `immutable=1` URI
// parameter): no locks, no -wal, no -shm, nothing created beside it. Only when a WAL with content is
// there (the project was not closed cleanly, or its owner has it open) is the ordinary read-only
// mode used, since that WAL holds pages the file does not have yet.

// URI file names are off in better-sqlite3's build; this turns them on for the process. It is read
// when the native module first opens a database, so it is set as this module loads. Only names
// that start with "file:" are URIs, and Pictor's paths are absolute.
process.env.SQLITE_USE_URI ??= '1'

/** False when the operating system refuses to let us write `path`; a missing path says nothing. */
function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
  }
}

/** A project Pictor cannot write: its file or its folder (where -wal and -shm must go) is read-only. */
export function isReadOnlyLocation(path: string): boolean {
  return !writable(path) || !writable(dirname(path))
}

/** SQLite's URI for a file path: %, ? and # escaped; Windows drive paths get their leading slash. */
function fileUri(path: string, parameters: string): string {
  const slashed = path.replace(/\\/g, '/')
  const absolute = /^[a-z]:/i.test(slashed) ? `/${slashed}` : slashed
  const escaped = absolute.replace(/[%?#]/g, (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`)
  return `file:${escaped}?${parameters}`
}

function walHasContent(path: string): boolean {
  return (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0
}

/** Opens a project read-only, creating nothing beside it when it was closed cleanly. */
export function connectReadOnly(path: string, nativeBinding: string | undefined): Database {
  const options = { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) }
  if (!walHasContent(path)) {
    try {
      const db = new BetterSqlite3(fileUri(path, 'immutable=1'), options)
      db.pragma('schema_version') // reads the header now, so a failure shows here
      return db
    } catch {
      // URIs were turned off before this module loaded (SQLITE_USE_URI=0): try the ordinary way.
    }
  }
  try {
    const db = new BetterSqlite3(path, options)
    db.pragma('schema_version')
    return db
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    if (!code.startsWith('SQLITE_READONLY') && !code.startsWith('SQLITE_CANTOPEN')) throw error
    throw new AppError(
      'READ_ONLY',
      `${path} was not closed cleanly and its folder is read-only, so it cannot be read safely; open it once where it can be written, or copy the folder's .pictor, -wal and -shm files to a folder you can write to`,
      { cause: error }
    )
  }
}
