import type { Database } from 'better-sqlite3'
import type { ImageSplit } from '../../contract/types'

/** Who decided an image's split: an imported train/val/test folder, the seeded assignment, or the user. */
export type SplitOrigin = 'folder' | 'auto' | 'user'

/** One usable image as the split assignment sees it (the row loadSplitInputs reads). */
export interface SplitInput {
  id: number
  /** sha256 hex; null only for rows without one, which then group by id alone. */
  contentHash: string | null
  phash: string | null
  classId: number | null
  split: ImageSplit | null
  splitOrigin: SplitOrigin | null
}

/** What the split assignment needs of every usable image: hashes, label and current split. */
export function loadSplitInputs(db: Database): SplitInput[] {
  return db
    .prepare(
      `SELECT i.id, i.content_hash AS contentHash, i.phash, l.class_id AS classId, i.split, i.split_origin AS splitOrigin
       FROM images i LEFT JOIN labels l ON l.image_id = i.id
       WHERE i.status = 'ok'
       ORDER BY i.id`
    )
    .all() as SplitInput[]
}

/**
 * Writes seeded splits. The WHERE clause is a second guard behind assignSplits: a split that came
 * from a folder or the user is never overwritten here, even if a caller passes such a row.
 * Returns how many rows changed; call inside a transaction for a large list.
 */
export function writeAutoSplits(db: Database, changes: readonly { id: number; split: ImageSplit }[]): number {
  const update = db.prepare(
    `UPDATE images SET split = ?, split_origin = 'auto'
     WHERE id = ? AND (split_origin IS NULL OR split_origin = 'auto')`
  )
  let changed = 0
  for (const change of changes) changed += update.run(change.split, change.id).changes
  return changed
}

/** The user's override: the split sticks (origin 'user') through re-assignment and rescans. */
export function writeUserSplit(db: Database, imageIds: readonly number[], split: ImageSplit): number {
  const update = db.prepare("UPDATE images SET split = ?, split_origin = 'user' WHERE id = ?")
  let changed = 0
  for (const id of imageIds) changed += update.run(split, id).changes
  return changed
}

/**
 * Drops the user's override so the next assignment decides again. Only 'user' rows: a folder's
 * split is the import's own answer and a rescan would restore it anyway.
 */
export function clearUserSplit(db: Database, imageIds: readonly number[]): number {
  const update = db.prepare("UPDATE images SET split = NULL, split_origin = NULL WHERE id = ? AND split_origin = 'user'")
  let changed = 0
  for (const id of imageIds) changed += update.run(id).changes
  return changed
}

/** The raw `splitRatios` value from the project's settings JSON, or undefined when unset or no project row. */
export function readSplitRatiosSetting(db: Database): unknown {
  const text = db.prepare("SELECT json_extract(settings, '$.splitRatios') FROM project WHERE id = 1").pluck().get() as
    | string
    | null
    | undefined
  if (text === null || text === undefined) return undefined
  // json_extract answers an object as its JSON text.
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Stores `splitRatios` in the settings JSON, keeping every other setting. False when there is no project row. */
export function writeSplitRatiosSetting(db: Database, ratios: { train: number; val: number; test: number }): boolean {
  const result = db
    .prepare("UPDATE project SET settings = json_set(settings, '$.splitRatios', json(?)) WHERE id = 1")
    .run(JSON.stringify(ratios))
  return result.changes > 0
}
