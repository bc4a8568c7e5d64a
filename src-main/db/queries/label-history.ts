import type { Database } from 'better-sqlite3'

export type LabelOrigin = 'folder' | 'user' | 'model' | 'import'

/** Who decided the labels an action wrote (a folder never acts: it labels at import, outside the history). */
export type ActionOrigin = 'user' | 'model' | 'import'

export interface LabelChangeRow {
  imageId: number
  oldClassId: number | null
  newClassId: number | null
  /** Who had decided the label before (null when the image was unlabeled); read back by undo. */
  oldOrigin?: LabelOrigin | null
}

export interface LabelActionRow {
  id: number
  description: string
  deletesClassId: number | null
  /** Who decided the new labels; redo writes them with it. */
  origin: ActionOrigin
}

export interface RecordOptions {
  /** The class the action deleted (merge, delete): undo restores it. */
  deletesClassId?: number | null
  origin?: ActionOrigin
  now?: number
}

/**
 * Records one undoable action. A new action discards everything that was undone (the redo stack),
 * as in every editor.
 */
export function recordAction(db: Database, description: string, changes: LabelChangeRow[], options: RecordOptions = {}): number {
  // Undone actions are always the newest (undo walks back, redo forward, a new action clears them):
  // look past the last done one only, not through the whole history, on every key press.
  db.prepare(
    `DELETE FROM label_actions
     WHERE id > coalesce((SELECT id FROM label_actions WHERE undone = 0 ORDER BY id DESC LIMIT 1), 0) AND undone = 1`
  ).run()
  const actionId = Number(
    db
      .prepare('INSERT INTO label_actions (description, created_at, deletes_class_id, origin) VALUES (?, ?, ?, ?)')
      .run(description, options.now ?? Date.now(), options.deletesClassId ?? null, options.origin ?? 'user').lastInsertRowid
  )
  // Must run before the labels are written: it reads each image's current origin as the old one.
  const insert = db.prepare(
    `INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id, old_origin)
     VALUES (?, ?, ?, ?, (SELECT origin FROM labels WHERE image_id = ?))`
  )
  for (const change of changes) insert.run(actionId, change.imageId, change.oldClassId, change.newClassId, change.imageId)
  return actionId
}

const ACTION_COLUMNS = 'id, description, deletes_class_id AS deletesClassId, origin'

/** The action Ctrl+Z undoes: the newest one still done. */
export function latestDoneAction(db: Database): LabelActionRow | undefined {
  return db.prepare(`SELECT ${ACTION_COLUMNS} FROM label_actions WHERE undone = 0 ORDER BY id DESC LIMIT 1`).get() as
    | LabelActionRow
    | undefined
}

/** The action redo replays: the oldest of those undone (undo walks back, redo walks forward). */
export function earliestUndoneAction(db: Database): LabelActionRow | undefined {
  return db.prepare(`SELECT ${ACTION_COLUMNS} FROM label_actions WHERE undone = 1 ORDER BY id ASC LIMIT 1`).get() as
    | LabelActionRow
    | undefined
}

export function actionChanges(db: Database, actionId: number): LabelChangeRow[] {
  return db
    .prepare(
      'SELECT image_id AS imageId, old_class_id AS oldClassId, new_class_id AS newClassId, old_origin AS oldOrigin FROM label_changes WHERE action_id = ?'
    )
    .all(actionId) as LabelChangeRow[]
}

export function setActionUndone(db: Database, actionId: number, undone: boolean): void {
  db.prepare('UPDATE label_actions SET undone = ? WHERE id = ?').run(undone ? 1 : 0, actionId)
}

/** One label action as the labeling rate sees it: when, and how many images it gave a class. */
export interface TimedLabelAction {
  createdAt: number
  labeled: number
}

/**
 * The user's own actions still done since `since` (ms), oldest first (accepting model suggestions in
 * bulk is not labeling by hand), each with the images it labeled (clearing
 * a label counts none): the labeling rate's input. Every label change reports the rate, so this reads
 * only the recent actions: ids grow with time, so everything after the newest action older than
 * `since` is a candidate (then checked by time).
 */
export function recentLabelActions(db: Database, since: number): TimedLabelAction[] {
  return db
    .prepare(
      `SELECT a.created_at AS createdAt, count(c.new_class_id) AS labeled
       FROM label_actions a LEFT JOIN label_changes c ON c.action_id = a.id
       WHERE a.id > coalesce((SELECT id FROM label_actions WHERE created_at < @since ORDER BY id DESC LIMIT 1), 0)
         AND a.undone = 0 AND a.origin = 'user' AND a.created_at >= @since
       GROUP BY a.id ORDER BY a.id`
    )
    .all({ since }) as TimedLabelAction[]
}
