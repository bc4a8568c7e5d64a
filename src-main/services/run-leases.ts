// Who is training a run, so that a run whose process is gone is marked 'interrupted' in the database
// and can be resumed, while a run that another process is training right now is left alone.
//
// Several processes may have one project open: the app, and a `pictor train` started from a shell,
// each with its own database connection. The run's row cannot tell by its status alone whether the
// process training it still exists, so the process that starts a training job takes a *lease* on
// the run: a random owner id, its host name and process id, and a heartbeat time it renews every
// HEARTBEAT_MS from the thread that started the job (never the training thread, which may be busy
// for seconds inside one batch). A lease is live while
//  - its heartbeat is younger than LEASE_MS (clock-only: works across machines sharing a folder), and
//  - on this same host, its process still exists (process.kill(pid, 0)): a process killed with
//    SIGKILL is seen at once, without waiting for the heartbeat to age. A pid reused by another
//    process only makes us wait for the heartbeat to age, never declares a live run dead.
// A run that is queued or running without a live lease has nobody training it: it becomes
// 'interrupted' (on opening the project, when runs are listed, before a resume). When the job ends,
// its starter drops the lease, and a run the job never finished (its worker died) becomes
// 'interrupted' too. Resuming takes a new lease, and is refused while another one is live, so two
// processes never train one run.
//
// What this does not cover: a machine asleep or a process stopped (SIGSTOP) for longer than LEASE_MS,
// seen from another machine, looks gone; its run is then shown interrupted and could be resumed there.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Database } from 'better-sqlite3'
import { AppError } from '../core/errors'
import { getRunLease, releaseRunLease, renewRunLease, setRunLease, unfinishedRuns, type RunLease, type RunLeaseRow } from '../db/queries/training-runs'
import { writeTransaction } from '../db/transaction'

export const HEARTBEAT_MS = 5_000
export const LEASE_MS = 60_000

const LEFT_BEHIND = 'interrupted: the process training it stopped (killed, crashed or closed) before the run finished; resume it to go on'

/** A lease for a new training attempt by this process. */
export function newLease(): RunLease {
  return { owner: randomUUID(), host: hostname(), pid: process.pid }
}

/** Whether a process with this id exists on this machine (EPERM: it does, but belongs to another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function leaseIsLive(lease: RunLeaseRow['lease'], now = Date.now()): boolean {
  if (!lease) return false
  if (now - lease.heartbeatAt > LEASE_MS) return false
  return lease.host !== hostname() || processExists(lease.pid)
}

/** Marks every queued or running run that nobody is training as 'interrupted'; answers their ids. */
export function markInterruptedRuns(db: Database, now = Date.now()): number[] {
  // Looked at first without the write lock: almost always nothing is left behind and nothing is written.
  if (unfinishedRuns(db).every((run) => leaseIsLive(run.lease, now))) return []
  return writeTransaction(db, () => {
    const gone = unfinishedRuns(db).filter((run) => !leaseIsLive(run.lease, now))
    for (const run of gone) releaseRunLease(db, run.id, run.lease?.owner ?? null, LEFT_BEHIND)
    return gone.map((run) => run.id)
  })
}

/** The sweep where a failure must not stop what the user asked for (a read-only project, a busy lock). */
export function tryMarkInterruptedRuns(db: Database): void {
  try {
    markInterruptedRuns(db)
  } catch {
    // Shown as the database says until the next try; nothing is lost.
  }
}

/** Takes run `runId` for `lease`; BUSY while another process's lease on it is live. Call inside a write transaction. */
export function claimRun(db: Database, runId: number, lease: RunLease, now = Date.now()): void {
  const current = getRunLease(db, runId)?.lease ?? null
  if (current && current.owner !== lease.owner && leaseIsLive(current, now)) {
    const where = current.host === lease.host ? `process ${current.pid}` : `process ${current.pid} on ${current.host}`
    throw new AppError('BUSY', `run ${runId} is being trained by another Pictor (${where}); wait for it or cancel it there`)
  }
  setRunLease(db, runId, lease, now)
}

/**
 * Renews the lease while the job runs. `end` stops that and drops the lease; a run the job left
 * queued or running (its worker died before recording how it ended) becomes 'interrupted'.
 */
export function holdLease(db: Database, runId: number, lease: RunLease): { end(): void } {
  const timer = setInterval(() => {
    try {
      if (db.open) renewRunLease(db, runId, lease.owner)
    } catch {
      // A busy lock skips one beat; the lease lasts twelve.
    }
  }, HEARTBEAT_MS)
  // The heartbeat alone must not keep a finished CLI process alive.
  timer.unref()
  return {
    end() {
      clearInterval(timer)
      try {
        if (db.open) writeTransaction(db, () => releaseRunLease(db, runId, lease.owner, LEFT_BEHIND))
      } catch {
        // The project was closed or is busy: the lease ages out and the next open marks the run.
      }
    }
  }
}
