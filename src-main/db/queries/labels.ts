import type { Database } from 'better-sqlite3'
import type { LabelOrigin } from './label-history'

/**
 * Prepared once per import. A folder only labels an image that has no label yet: a rescan never
 * overrides what the user (or a model they accepted) decided.
 */
export function labelStatements(db: Database) {
  const labelIfUnlabeled = db.prepare(
    "INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, ?, 'folder', ?) ON CONFLICT (image_id) DO NOTHING"
  )
  return {
    labelFromFolder: (imageId: number, classId: number, now = Date.now()): void =>
      void labelIfUnlabeled.run(imageId, classId, now)
  }
}

/** The current class of each image (absent = unlabeled). */
export function currentLabels(db: Database, imageIds: readonly number[]): Map<number, number> {
  const result = new Map<number, number>()
  const select = db.prepare('SELECT class_id FROM labels WHERE image_id = ?').pluck()
  for (const imageId of imageIds) {
    const classId = select.get(imageId) as number | undefined
    if (classId !== undefined) result.set(imageId, classId)
  }
  return result
}

/** Sets (or, with null, clears) labels; `origin` says who decided. */
export function writeLabels(
  db: Database,
  changes: readonly { imageId: number; classId: number | null }[],
  origin: LabelOrigin,
  now = Date.now()
): void {
  const upsert = db.prepare(
    `INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (image_id) DO UPDATE SET class_id = excluded.class_id, origin = excluded.origin, updated_at = excluded.updated_at`
  )
  const remove = db.prepare('DELETE FROM labels WHERE image_id = ?')
  for (const { imageId, classId } of changes) {
    if (classId === null) remove.run(imageId)
    else upsert.run(imageId, classId, origin, now)
  }
}

export function imagesLabeled(db: Database, classId: number): number[] {
  return db.prepare('SELECT image_id FROM labels WHERE class_id = ?').pluck().all(classId) as number[]
}

export interface ClassSplitCount {
  classId: number
  split: 'train' | 'val' | 'test' | 'none'
  n: number
}

/** Labeled usable images per class × split ('none' for no split yet), for the balance report. */
export function labelCountsByClassAndSplit(db: Database): ClassSplitCount[] {
  return db
    .prepare(
      `SELECT l.class_id AS classId, coalesce(i.split, 'none') AS split, count(*) AS n
       FROM images i JOIN labels l ON l.image_id = i.id
       WHERE i.status = 'ok' GROUP BY l.class_id, coalesce(i.split, 'none')`
    )
    .all() as ClassSplitCount[]
}
