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

/**
 * Writes a split plan: 'auto' rows with the same guard as writeAutoSplits (never over a folder's or
 * the user's split), 'user' rows as the user's choice (what a preview the user accepted moves).
 */
export function writePlannedSplits(db: Database, changes: readonly { id: number; split: ImageSplit; origin: 'auto' | 'user' }[]): number {
  const auto = changes.filter((change) => change.origin === 'auto')
  const user = changes.filter((change) => change.origin === 'user')
  let changed = writeAutoSplits(db, auto)
  for (const split of ['train', 'val', 'test'] as const) {
    const ids = user.filter((change) => change.split === split).map((change) => change.id)
    if (ids.length > 0) changed += writeUserSplit(db, ids, split)
  }
  return changed
}

/** An image's split and who decided it, as stored (both null: no split yet). */
export type SplitState = [split: ImageSplit | null, origin: SplitOrigin | null]

/** What one "Assign splits" changed, kept so the Balance view can take it back (one step). */
export interface SplitUndoSnapshot {
  /** When it was applied (ms since the epoch). */
  at: number
  /** The stored ratios before it, or null when none were stored (the defaults applied). */
  ratios: unknown
  /** Rows it changed. */
  moved: number
  /** Those rows, grouped by what they were and what they became (ids only: compact for 100k images). */
  transitions: { was: SplitState; now: SplitState; ids: number[] }[]
}

/** Keeps `snapshot` in the project's settings as the one split step that can be undone (null forgets it). */
export function writeSplitUndo(db: Database, snapshot: SplitUndoSnapshot | null): void {
  if (snapshot === null) db.prepare("UPDATE project SET settings = json_remove(settings, '$.splitUndo') WHERE id = 1").run()
  else db.prepare("UPDATE project SET settings = json_set(settings, '$.splitUndo', json(?)) WHERE id = 1").run(JSON.stringify(snapshot))
}

export function readSplitUndo(db: Database): SplitUndoSnapshot | null {
  const text = db.prepare("SELECT json_extract(settings, '$.splitUndo') FROM project WHERE id = 1").pluck().get() as string | null | undefined
  if (typeof text !== 'string') return null
  try {
    return JSON.parse(text) as SplitUndoSnapshot
  } catch {
    return null
  }
}

/** When the step that can be undone was applied and how many rows it changed, without reading its ids. */
export function splitUndoSummary(db: Database): { at: number; moved: number } | null {
  const row = db
    .prepare("SELECT json_extract(settings, '$.splitUndo.at') AS at, json_extract(settings, '$.splitUndo.moved') AS moved FROM project WHERE id = 1")
    .get() as { at: number | null; moved: number | null } | undefined
  return row && typeof row.at === 'number' && typeof row.moved === 'number' ? { at: row.at, moved: row.moved } : null
}

/**
 * Puts rows back from `now` to `was`, but only rows still exactly as the step left them: a split the
 * user changed since (or an import rescanned) is theirs and stays. Answers how many rows went back.
 */
export function restoreSplits(db: Database, transitions: SplitUndoSnapshot['transitions']): number {
  const update = db.prepare(
    'UPDATE images SET split = ?, split_origin = ? WHERE id = ? AND split IS ? AND split_origin IS ?'
  )
  let restored = 0
  for (const { was, now, ids } of transitions) {
    for (const id of ids) restored += update.run(was[0], was[1], id, now[0], now[1]).changes
  }
  return restored
}

/** Stores the raw ratios value back (as read by readSplitRatiosSetting), or removes it for null/undefined. */
export function restoreSplitRatiosSetting(db: Database, ratios: unknown): void {
  if (ratios === null || ratios === undefined) db.prepare("UPDATE project SET settings = json_remove(settings, '$.splitRatios') WHERE id = 1").run()
  else db.prepare("UPDATE project SET settings = json_set(settings, '$.splitRatios', json(?)) WHERE id = 1").run(JSON.stringify(ratios))
}
