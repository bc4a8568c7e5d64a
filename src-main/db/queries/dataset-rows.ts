import type { Database } from 'better-sqlite3'
import type { ImageSplit } from '../../contract/types'

// What a dataset export reads from a project: the live classes in output order and one row per
// image with where it lives, its split, its label and who gave it. Planning and writing are
// elsewhere (src-main/dataset); the SQL is here.

/** A live class, in the project's display order, which is also the order a trained model's outputs take. */
export interface DatasetClass {
  id: number
  name: string
}

export type LabelOrigin = 'folder' | 'user' | 'model' | 'import'

export interface DatasetRow {
  imageId: number
  root: string
  /** '/'-separated, relative to `root`. */
  relPath: string
  split: ImageSplit | null
  splitOrigin: 'folder' | 'auto' | 'user' | null
  contentHash: string | null
  width: number | null
  height: number | null
  /** Null for an unlabeled image (or one whose class was deleted, which the user no longer sees). */
  classId: number | null
  labelOrigin: LabelOrigin | null
  /**
   * The label-issue scan's out-of-fold confidence in the image's current label (0 = surely wrong),
   * when a scan flagged the image for the label it still carries; null otherwise.
   */
  labelIssueScore: number | null
}

export interface DatasetSource {
  classes: DatasetClass[]
  /** Readable ('ok') images, by id. */
  rows: DatasetRow[]
  /** Images left out because their file failed to decode at import or has gone missing since. */
  skipped: { failed: number; missing: number }
}

export function loadDatasetSource(db: Database): DatasetSource {
  const classes = db.prepare('SELECT id, name FROM classes WHERE deleted_at IS NULL ORDER BY position, id').all() as DatasetClass[]
  const rows = db
    .prepare(
      `SELECT i.id AS imageId, s.root_path AS root, i.rel_path AS relPath, i.split, i.split_origin AS splitOrigin,
              i.content_hash AS contentHash, i.width, i.height,
              c.id AS classId, CASE WHEN c.id IS NULL THEN NULL ELSE l.origin END AS labelOrigin,
              CASE WHEN li.given_class_id = c.id THEN li.self_confidence END AS labelIssueScore
       FROM images i
       JOIN sources s ON s.id = i.source_id
       LEFT JOIN labels l ON l.image_id = i.id
       LEFT JOIN classes c ON c.id = l.class_id AND c.deleted_at IS NULL
       LEFT JOIN label_issues li ON li.image_id = i.id
       WHERE i.status = 'ok'
       ORDER BY i.id`
    )
    .all() as DatasetRow[]
  const counted = db.prepare("SELECT status, count(*) AS n FROM images WHERE status <> 'ok' GROUP BY status").all() as { status: string; n: number }[]
  const skipped = { failed: 0, missing: 0 }
  for (const { status, n } of counted) if (status === 'failed' || status === 'missing') skipped[status] = n
  return { classes, rows, skipped }
}
