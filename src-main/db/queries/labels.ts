import type { Database } from 'better-sqlite3'

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
