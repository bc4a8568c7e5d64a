// The records a request names by id, looked up once here so that every handler answers a missing
// one the same way (core/not-found.ts): NOT_FOUND, "<thing> <id> does not exist".
import type { Database } from 'better-sqlite3'
import type { RunSummary } from '../contract/types'
import { allFound, found } from '../core/not-found'
import { getClass, type ClassRow } from '../db/queries/classes'
import { imageStatuses } from '../db/queries/images'
import { getRun } from '../db/queries/training-runs'

/** Images are never deleted (a vanished file is marked missing), so an unknown id is always a wrong one. */
export function requireImages(db: Database, imageIds: readonly number[]): void {
  allFound(imageIds, imageStatuses(db, imageIds), 'image')
}

export function requireRun(db: Database, runId: number): RunSummary {
  return found(getRun(db, runId), 'run', runId)
}

/**
 * A class row, live or deleted: reading what a deleted class left behind (a run's confusion matrix
 * still has its row) is fine. Changing labels or classes needs a live one (Labeling checks that).
 */
export function requireClass(db: Database, classId: number): ClassRow {
  return found(getClass(db, classId), 'class', classId)
}
