import type { Database } from 'better-sqlite3'

/** The latest confident-learning scan (there is at most one: row id 1). */
export interface LabelIssueScan {
  folds: number
  /** Labeled images that got an out-of-fold prediction. */
  examined: number
  /** The base model version whose features the heads were trained on. */
  modelVersion: string
  computedAt: number
}

export function getLabelIssueScan(db: Database): LabelIssueScan | null {
  const row = db
    .prepare('SELECT folds, examined, model_version AS modelVersion, computed_at AS computedAt FROM label_issue_scans WHERE id = 1')
    .get() as LabelIssueScan | undefined
  return row ?? null
}

/** Replaces the scan row; call inside the transaction that replaces the flagged images. */
export function saveLabelIssueScan(db: Database, scan: LabelIssueScan): void {
  db.prepare(
    `INSERT INTO label_issue_scans (id, folds, examined, model_version, computed_at) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET folds = excluded.folds, examined = excluded.examined,
       model_version = excluded.model_version, computed_at = excluded.computed_at`
  ).run(scan.folds, scan.examined, scan.modelVersion, scan.computedAt)
}

/**
 * Labels changed since `since`, leaving out the images in `except` (issues the user accepted: a
 * relabel the scan itself suggested does not make its ranking out of date). A change is a label
 * written after `since` (assign, undo, redo, import) or an undoable action after `since` that
 * touched an image (a class delete removes labels, leaving no row to date).
 */
export function labelsChangedSince(db: Database, since: number, except: readonly number[] = []): boolean {
  const exceptJson = JSON.stringify(except)
  const written = db
    .prepare('SELECT 1 FROM labels WHERE updated_at > ? AND image_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1')
    .get(since, exceptJson)
  if (written) return true
  const acted = db
    .prepare(
      `SELECT 1 FROM label_changes c JOIN label_actions a ON a.id = c.action_id
       WHERE a.created_at > ? AND c.image_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1`
    )
    .get(since, exceptJson)
  return acted !== undefined
}
