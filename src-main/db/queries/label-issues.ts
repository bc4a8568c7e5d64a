import type { Database } from 'better-sqlite3'
import type { LabelIssue } from '../../contract/types'

/** One flagged image as the scan stores it. */
export interface LabelIssueRow {
  imageId: number
  givenClassId: number
  suggestedClassId: number
  selfConfidence: number
  suggestedConfidence: number
  /** 0 = most suspicious. */
  rank: number
}

/** Replaces every flagged image; call inside the transaction that saves the scan row. */
export function replaceLabelIssues(db: Database, rows: readonly LabelIssueRow[]): void {
  db.prepare('DELETE FROM label_issues').run()
  const insert = db.prepare(
    `INSERT INTO label_issues (image_id, given_class_id, suggested_class_id, self_confidence, suggested_confidence, rank)
     VALUES (?, ?, ?, ?, ?, ?)`
  )
  for (const row of rows) {
    insert.run(row.imageId, row.givenClassId, row.suggestedClassId, clamp01(row.selfConfidence), clamp01(row.suggestedConfidence), row.rank)
  }
}

const SELECT = `SELECT li.image_id AS imageId, i.rel_path AS relPath, i.content_hash AS contentHash,
    li.given_class_id AS givenClassId, li.suggested_class_id AS suggestedClassId,
    li.self_confidence AS selfConfidence, li.suggested_confidence AS suggestedConfidence,
    CASE WHEN d.decision = 'accepted' AND l.class_id = li.given_class_id THEN 'pending'
         ELSE coalesce(d.decision, 'pending') END AS decision
  FROM label_issues li
  JOIN images i ON i.id = li.image_id
  LEFT JOIN labels l ON l.image_id = li.image_id
  LEFT JOIN label_issue_decisions d ON d.image_id = li.image_id AND d.given_class_id = li.given_class_id`

/**
 * Every flagged image with the user's verdict on its flagged label, most suspicious first. An
 * accepted relabel that was undone (the image carries the flagged label again) reads as pending.
 */
export function listLabelIssues(db: Database): LabelIssue[] {
  return db.prepare(`${SELECT} ORDER BY li.rank`).all() as LabelIssue[]
}

export function getLabelIssue(db: Database, imageId: number): LabelIssue | null {
  return (db.prepare(`${SELECT} WHERE li.image_id = ?`).get(imageId) as LabelIssue | undefined) ?? null
}

// Float32 probabilities can round a hair past 1; the table's CHECK wants [0, 1].
function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value))
}
