import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { AppError, fromSystemError } from '../core/errors'
import { checkIntegrity, stampOf, type IntegrityMemory } from './integrity'
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from './migrations'
import { connectReadOnly, isReadOnlyLocation } from './read-only'
import { registerTextFunctions } from './text-fold'
import { writeTransaction } from './transaction'

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

/**
 * How long a connection waits for another one's write lock before its write fails with BUSY (it is
 * also writeTransaction's retry budget). Every writer holds the lock for milliseconds (an import
 * batch, an epoch's metrics, a checkpoint), so a wait longer than a few of those means something is
 * wrong, and the two roles weigh that differently:
 * - the session connection answers the UI on the main thread, and SQLite's wait blocks that thread:
 *   2 s is far above any healthy wait yet short enough that a stuck lock (another program holding
 *   the file) shows a BUSY message instead of a frozen window;
 * - job connections (worker threads, a second `pictor` process) answer no one while they wait, and
 *   giving up fails a whole import or training run, so they wait up to 30 s.
 */
export const SESSION_BUSY_TIMEOUT_MS = 2_000
/** How much of a project the integrity check maps into memory (address space, not RAM). */
const CHECK_MMAP_BYTES = 4 * 1024 ** 3
export const JOB_BUSY_TIMEOUT_MS = 30_000

function configure(db: Database, busyTimeoutMs: number): void {
  // Set first: even switching to WAL may have to wait for another connection.
  db.pragma(`busy_timeout = ${busyTimeoutMs}`)
  registerTextFunctions(db)
  // A read-only connection changes nothing, not even the journal mode.
  if (db.readonly) return
  // WAL: readers never block the writer, and a crash cannot corrupt committed transactions.
  const mode = db.pragma('journal_mode = WAL', { simple: true })
  if (mode !== 'wal') throw new AppError('IO_ERROR', `the project's folder does not support WAL journaling (got ${mode})`)
  db.pragma('foreign_keys = ON')
  // NORMAL is durable in WAL mode except for the last transactions before a power cut.
  db.pragma('synchronous = NORMAL')
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
    configure(db, SESSION_BUSY_TIMEOUT_MS)
    db.pragma(`application_id = ${PICTOR_APPLICATION_ID}`)
    migrate(db)
    writeTransaction(db, () => initialise(db))
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

/**
 * Checks that `path` is a Pictor project and connects to it (read-only when `readOnly`); the caller
 * configures the connection.
 */
function connectToProject(path: string, readOnly = false): Database {
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
  const db = readOnly ? connectReadOnly(path, process.env[SQLITE_BINDING_ENV]) : connect(path, true)
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
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

/**
 * quick_check reads every page. It runs on a read-only connection with the file memory-mapped: on a
 * writable connection it took about three times as long, and reading through mmap instead of one
 * read() per page halves it again (test/bench/open-check-bench.ts). A writable project gets a
 * short-lived read-only connection of its own for it. (Memory-mapped reads fail hard if another
 * process truncated the file meanwhile; Pictor never truncates a project, and the check is brief.)
 */
function checkOnReadOnlyConnection(db: Database, path: string): void {
  const nativeBinding = process.env[SQLITE_BINDING_ENV]
  const checker = db.readonly ? db : new BetterSqlite3(path, { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) })
  try {
    checker.pragma(`busy_timeout = ${SESSION_BUSY_TIMEOUT_MS}`)
    checker.pragma(`mmap_size = ${CHECK_MMAP_BYTES}`)
    checkIntegrity(checker, path)
  } finally {
    if (checker !== db) checker.close()
  }
}

export interface OpenedProject {
  db: Database
  /** Its file or folder is read-only: the connection is too, and nothing was migrated. */
  readOnly: boolean
  /** The schema version it was upgraded from, or null when it was already current. */
  migratedFrom: number | null
}

/**
 * Opens an existing project for the app's session (or the CLI's): refuses a damaged one
 * (CORRUPT_PROJECT, after SQLite's quick_check, skipped when `integrity` remembers the file exactly
 * as it was when last seen healthy), opens a read-only one read-only, and upgrades an older schema.
 * One per process; jobs use openJobDatabase.
 */
export function openProject(path: string, integrity?: IntegrityMemory): OpenedProject {
  const readOnly = isReadOnlyLocation(path)
  const db = connectToProject(path, readOnly)
  try {
    configure(db, SESSION_BUSY_TIMEOUT_MS)
    const stamp = stampOf(path)
    if (!integrity?.matches(path, stamp)) {
      checkOnReadOnlyConnection(db, path)
      integrity?.remember(path, stamp)
    }
    const version = schemaVersion(db)
    if (version === LATEST_SCHEMA_VERSION) return { db, readOnly, migratedFrom: null }
    if (readOnly && version < LATEST_SCHEMA_VERSION) {
      throw new AppError(
        'READ_ONLY',
        `${path} was saved by an older Pictor and must be upgraded, but it is read-only; copy it to a folder you can write to and open the copy`
      )
    }
    migrate(db)
    return { db, readOnly, migratedFrom: version }
  } catch (error) {
    db.close()
    throw error
  }
}

/** openProject without the details: the connection, checked and at the latest schema. */
export function openProjectDatabase(path: string): Database {
  return openProject(path).db
}

/**
 * A connection for a job (a worker thread or a second process) on a project a session has already
 * opened. It never migrates: a schema upgrade rebuilds tables and must not start behind the back of
 * the connection that answers the UI, so a file at another version is refused.
 */
export function openJobDatabase(path: string): Database {
  // Every job writes (progress, results), and the session refuses to start one on a read-only
  // project; this is the last line, for a project that became read-only since.
  if (isReadOnlyLocation(path)) throw new AppError('READ_ONLY', `${path} is read-only: this task needs to write to it`)
  const db = connectToProject(path)
  try {
    configure(db, JOB_BUSY_TIMEOUT_MS)
    const version = schemaVersion(db)
    if (version !== LATEST_SCHEMA_VERSION) {
      throw new AppError(
        version > LATEST_SCHEMA_VERSION ? 'SCHEMA_TOO_NEW' : 'UNSUPPORTED',
        `${path} is at schema v${version} but this Pictor works with v${LATEST_SCHEMA_VERSION}; open the project in Pictor first`
      )
    }
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

/** Runs a job's database work on its own connection and closes it however the work ends. */
export async function withJobDatabase<T>(path: string, work: (db: Database) => Promise<T>): Promise<T> {
  const db = openJobDatabase(path)
  try {
    return await work(db)
  } finally {
    closeProjectDatabase(db)
  }
}

/**
 * Closes a connection, first folding the WAL back into the project file so a closed project is one
 * self-contained file. The fold needs every other connection idle; when one is not (the app while a
 * CLI job ends), it is skipped rather than waited for, since a TRUNCATE checkpoint holds the write
 * lock while it waits; the last connection to close folds the WAL anyway.
 */
export function closeProjectDatabase(db: Database): void {
  if (!db.open) return
  try {
    db.pragma('busy_timeout = 0')
    db.pragma('wal_checkpoint(TRUNCATE)')
  } catch {
    // Best effort: a busy or read-only project closes all the same.
  }
  db.close()
}
