import type { Database } from 'better-sqlite3'
import { busyError, isDatabaseBusy } from '../core/errors'

/**
 * Every write transaction in Pictor goes through here. Several connections write to one project
 * at once (the app's session, job workers, a second `pictor` process), and SQLite in WAL mode lets
 * one of them write at a time. Two rules keep those writes from failing:
 *
 * 1. BEGIN IMMEDIATE: the write lock is taken before the first read. A deferred transaction that
 *    reads first and writes later fails at once, without calling the busy handler, when it tries
 *    to upgrade while another connection holds the write lock (SQLITE_BUSY: waiting could deadlock
 *    two upgraders) or has committed since its read (SQLITE_BUSY_SNAPSHOT: its snapshot is stale).
 *    That was the "database is locked" users saw. Waiting for the lock at BEGIN is always safe.
 * 2. A bounded wait: BEGIN IMMEDIATE waits up to the connection's busy_timeout (set in
 *    connection.ts per role), and a BUSY that bypasses the busy handler (recovery, snapshot, shared
 *    cache) is retried with backoff for the same budget. When it is spent the caller gets
 *    AppError('BUSY') with a sentence, never a raw SqliteError that would surface as INTERNAL.
 *
 * `work` must be synchronous and touch nothing but the database until it returns: it is retried
 * only when it never started (the BUSY came from BEGIN), so side effects cannot happen twice.
 */
export function writeTransaction<T>(db: Database, work: () => T): T {
  // Inside another transaction (ours or a caller's) better-sqlite3 nests as a SAVEPOINT: the outer
  // transaction already holds whatever lock it holds, so there is nothing to wait for or retry, and a
  // throw rolls back only this part.
  if (db.inTransaction) return db.transaction(work).immediate()

  let started = false
  const tracked = db.transaction(() => {
    started = true
    return work()
  })
  const begun = Date.now()
  let budget: number | null = null
  for (let attempt = 0; ; attempt++) {
    try {
      return tracked.immediate()
    } catch (error) {
      if (!isDatabaseBusy(error)) throw error
      // Work that ran may have changed memory outside the database: never run it twice.
      if (started) throw busyError(error)
      budget ??= writeBudgetMs(db)
      const waited = Date.now() - begun
      if (waited >= budget) throw busyError(error)
      sleepSync(Math.min(backoffMs(attempt), budget - waited))
    }
  }
}

/**
 * A consistent view across several reads (one snapshot). Reads never wait for writers in WAL mode,
 * so this needs no retry; use it where two queries must agree with each other.
 */
export function readTransaction<T>(db: Database, work: () => T): T {
  return db.transaction(work).deferred()
}

/** The connection's own busy_timeout is also its retry budget: one number per connection role. */
function writeBudgetMs(db: Database): number {
  return Number(db.pragma('busy_timeout', { simple: true })) || 0
}

function backoffMs(attempt: number): number {
  return Math.min(5 * 2 ** attempt, 200)
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** A synchronous pause: transactions are synchronous, so the caller is blocked either way. */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms)
}
