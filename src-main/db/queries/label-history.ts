import type { Database } from 'better-sqlite3'

export interface LabelChangeRow {
  imageId: number
  oldClassId: number | null
  newClassId: number | null
}

export interface LabelActionRow {
  id: number
  description: string
  deletesClassId: number | null
}

/**
 * Records one undoable action. A new action discards everything that was undone (the redo stack),
 * as in every editor.
 */
export function recordAction(
  db: Database,
  description: string,
  changes: LabelChangeRow[],
  deletesClassId: number | null = null,
  now = Date.now()
): number {
  db.prepare('DELETE FROM label_actions WHERE undone = 1').run()
  const actionId = Number(
    db
      .prepare('INSERT INTO label_actions (description, created_at, deletes_class_id) VALUES (?, ?, ?)')
      .run(description, now, deletesClassId).lastInsertRowid
  )
  const insert = db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (?, ?, ?, ?)')
  for (const change of changes) insert.run(actionId, change.imageId, change.oldClassId, change.newClassId)
  return actionId
}

const ACTION_COLUMNS = 'id, description, deletes_class_id AS deletesClassId'

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
      'SELECT image_id AS imageId, old_class_id AS oldClassId, new_class_id AS newClassId FROM label_changes WHERE action_id = ?'
    )
    .all(actionId) as LabelChangeRow[]
}

export function setActionUndone(db: Database, actionId: number, undone: boolean): void {
  db.prepare('UPDATE label_actions SET undone = ? WHERE id = ?').run(undone ? 1 : 0, actionId)
}

/** How many images the user labeled in the last `minutes` minutes (not undone), for the labeling rate. */
export function recentLabelCount(db: Database, minutes: number, now = Date.now()): number {
  return db
    .prepare(
      `SELECT count(*) FROM label_changes c JOIN label_actions a ON a.id = c.action_id
       WHERE a.undone = 0 AND a.created_at >= ? AND c.new_class_id IS NOT NULL`
    )
    .pluck()
    .get(now - minutes * 60_000) as number
}
