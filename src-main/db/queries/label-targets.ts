import type { Database } from 'better-sqlite3'

// What a label import (`pictor labels import`) matches a file's rows against: every readable image
// with where it lives and its content hash. Matching and applying are in src-main/dataset and
// src-main/services; the SQL is here.

export interface LabelTarget {
  imageId: number
  /** The folder it was imported from, as stored (absolute). */
  root: string
  /** '/'-separated, relative to `root`. */
  relPath: string
  contentHash: string | null
  /** Its live class's name, or null when it is unlabeled (or its class was deleted). */
  label: string | null
}

/** Readable ('ok') images: a failed or missing one is no image to label. */
export function loadLabelTargets(db: Database): LabelTarget[] {
  return db
    .prepare(
      `SELECT i.id AS imageId, s.root_path AS root, i.rel_path AS relPath, i.content_hash AS contentHash, c.name AS label
       FROM images i
       JOIN sources s ON s.id = i.source_id
       LEFT JOIN labels l ON l.image_id = i.id
       LEFT JOIN classes c ON c.id = l.class_id AND c.deleted_at IS NULL
       WHERE i.status = 'ok'
       ORDER BY i.id`
    )
    .all() as LabelTarget[]
}
