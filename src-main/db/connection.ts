import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { AppError, fromSystemError } from '../core/errors'
import { migrate } from './migrations'
import { registerTextFunctions } from './text-fold'

/** 'PICT' — lets Pictor tell its own projects from any other SQLite file. */
export const PICTOR_APPLICATION_ID = 0x50494354
const SQLITE_HEADER = 'SQLite format 3\0'

/**
 * Under Electron, better-sqlite3 needs a binary built for Electron's ABI while the CLI and tests
 * need Node's. The Electron shell names its copy in this variable; an environment variable (not a
 * module setting) because worker threads, which open their own connections, inherit it.
 */
export const SQLITE_BINDING_ENV = 'PICTOR_SQLITE_NATIVE_BINDING'

function connect(path: string, fileMustExist: boolean): Database {
  const nativeBinding = process.env[SQLITE_BINDING_ENV]
  try {
    return new BetterSqlite3(path, { fileMustExist, ...(nativeBinding ? { nativeBinding } : {}) })
  } catch (error) {
    throw fromSystemError(error, path) ?? new AppError('IO_ERROR', `cannot open ${path}: ${(error as Error).message}`)
  }
}

function configure(db: Database): void {
  // WAL: readers never block the writer, and a crash cannot corrupt committed transactions.
  const mode = db.pragma('journal_mode = WAL', { simple: true })
  if (mode !== 'wal') throw new AppError('IO_ERROR', `the project's folder does not support WAL journaling (got ${mode})`)
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  // NORMAL is durable in WAL mode except for the last transactions before a power cut.
  db.pragma('synchronous = NORMAL')
  registerTextFunctions(db)
}

function looksLikeSqlite(path: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    throw fromSystemError(error, path) ?? error
  }
  try {
    const header = Buffer.alloc(16)
    const read = readSync(fd, header, 0, 16, 0)
    return read === 16 && header.toString('latin1') === SQLITE_HEADER
  } finally {
    closeSync(fd)
  }
}

/**
 * Creates a new project file with the latest schema and lets the caller fill in its first rows.
 * Never overwrites; if anything fails, the half-made file (and its WAL) is removed, not left behind.
 */
export function createProjectDatabase(path: string, initialise: (db: Database) => void = () => {}): Database {
  if (existsSync(path)) throw new AppError('ALREADY_EXISTS', `${path} already exists; open it instead`)
  if (!existsSync(dirname(path))) throw new AppError('NOT_FOUND', `the folder ${dirname(path)} does not exist`)
  const db = connect(path, false)
  try {
    configure(db)
    db.pragma(`application_id = ${PICTOR_APPLICATION_ID}`)
    migrate(db)
    db.transaction(() => initialise(db))()
    return db
  } catch (error) {
    db.close()
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
    throw error
  }
}

/** SQLite's own words for "this is not a database we can read". */
function isNotADatabase(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT'
}

/** Opens an existing project, upgrading its schema when it is older than this Pictor. */
export function openProjectDatabase(path: string): Database {
  let size: number
  try {
    const stat = statSync(path)
    if (!stat.isFile()) throw new AppError('NOT_A_PROJECT', `${path} is not a file`)
    size = stat.size
  } catch (error) {
    if (error instanceof AppError) throw error
    throw fromSystemError(error, path) ?? error
  }
  if (size === 0 || !looksLikeSqlite(path)) {
    throw new AppError('NOT_A_PROJECT', `${path} is not a Pictor project (not an SQLite database)`)
  }
  const db = connect(path, true)
  try {
    let applicationId: unknown
    try {
      applicationId = db.pragma('application_id', { simple: true })
    } catch (error) {
      if (!isNotADatabase(error)) throw error
      throw new AppError('NOT_A_PROJECT', `${path} is damaged or not a database (${(error as Error).message})`)
    }
    if (applicationId !== PICTOR_APPLICATION_ID) {
      throw new AppError('NOT_A_PROJECT', `${path} is an SQLite database but not a Pictor project`)
    }
    configure(db)
    migrate(db)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}
