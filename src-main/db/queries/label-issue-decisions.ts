import type { Database } from 'better-sqlite3'

export type StoredDecision = 'accepted' | 'rejected'

/**
 * Remembers the user's verdict on an image's label. Keyed by (image, given class): a later scan
 * that flags the same image with the same label shows the verdict again; a different label is a new
 * question. Deciding again replaces the verdict.
 */
export function recordIssueDecision(db: Database, imageId: number, givenClassId: number, decision: StoredDecision, now = Date.now()): void {
  db.prepare(
    `INSERT INTO label_issue_decisions (image_id, given_class_id, decision, decided_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (image_id, given_class_id) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at`
  ).run(imageId, givenClassId, decision, now)
}

export function getIssueDecision(db: Database, imageId: number, givenClassId: number): StoredDecision | null {
  const decision = db
    .prepare('SELECT decision FROM label_issue_decisions WHERE image_id = ? AND given_class_id = ?')
    .pluck()
    .get(imageId, givenClassId) as StoredDecision | undefined
  return decision ?? null
}

/** Images whose flagged label the user accepted (relabeled) at or after `since`. */
export function acceptedSince(db: Database, since: number): number[] {
  return db
    .prepare("SELECT DISTINCT image_id FROM label_issue_decisions WHERE decision = 'accepted' AND decided_at >= ?")
    .pluck()
    .all(since) as number[]
}
