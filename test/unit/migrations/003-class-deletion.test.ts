import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// One test file per migration: start from the schema before it (v2 with classes, labels and label
// history that reference them), run exactly this migration, and prove it kept every row and key
// while making names and hotkeys unique among live classes only.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v2.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 2)).toBe(2)
})

afterEach(() => {
  db.close()
})

/** A v2 project: three classes (ids 5, 7, 9), three images, two labels and a two-action history. */
function seedV2() {
  db.prepare("INSERT INTO project (id, name, created_at) VALUES (1, 'Pets', 1000)").run()
  db.prepare("INSERT INTO sources (id, root_path, added_at) VALUES (3, '/photos', 1000)").run()
  const insertImage = db.prepare(
    "INSERT INTO images (id, source_id, rel_path, bytes, mtime_ms, content_hash, imported_at) VALUES (?, 3, ?, 10, 1, ?, 1000)"
  )
  for (const [id, path] of [[11, 'a.jpg'], [12, 'b.jpg'], [13, 'c.jpg']] as const) insertImage.run(id, path, 'f'.repeat(64))
  const insertClass = db.prepare('INSERT INTO classes (id, name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?, 1000)')
  insertClass.run(5, 'cat', '#ff8800', '1', 0)
  insertClass.run(7, 'dog', '#0088ff', '2', 1)
  insertClass.run(9, 'bird', '#00ff88', null, 2)
  db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (11, 5, 'folder', 1000), (12, 7, 'user', 1001)").run()
  db.prepare("INSERT INTO label_actions (id, description, created_at, undone) VALUES (21, 'Label image as dog', 1001, 0), (22, 'Label image as bird', 1002, 1)").run()
  db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (21, 12, NULL, 7), (22, 13, NULL, 9)').run()
  db.prepare("INSERT INTO import_runs (source_id, status, started_at, finished_at) VALUES (3, 'done', 1000, 1001)").run()
}

const snapshot = () => ({
  classes: db.prepare('SELECT id, name, color, hotkey, position, created_at FROM classes ORDER BY id').all(),
  images: db.prepare('SELECT * FROM images ORDER BY id').all(),
  labels: db.prepare('SELECT * FROM labels ORDER BY image_id').all(),
  actions: db.prepare('SELECT id, description, created_at, undone FROM label_actions ORDER BY id').all(),
  changes: db.prepare('SELECT * FROM label_changes ORDER BY action_id, image_id').all(),
  runs: db.prepare('SELECT * FROM import_runs ORDER BY id').all()
})

const insertClass = (name: string, hotkey: string | null, deletedAt: number | null = null) =>
  db
    .prepare('INSERT INTO classes (name, color, hotkey, position, created_at, deleted_at) VALUES (?, ?, ?, 9, 1, ?)')
    .run(name, '#123456', hotkey, deletedAt)

describe('migration 003-class-deletion', () => {
  it('sets user_version to 3 and keeps every row and id', () => {
    seedV2()
    const before = snapshot()
    expect(migrate(db, 3)).toBe(3)
    expect(schemaVersion(db)).toBe(3)
    expect(snapshot()).toEqual(before)
    expect(db.prepare('SELECT DISTINCT deleted_at FROM classes').pluck().all()).toEqual([null])
    expect(db.prepare('SELECT DISTINCT deletes_class_id FROM label_actions').pluck().all()).toEqual([null])
  })

  it('adds classes.deleted_at and label_actions.deletes_class_id, keeping classes STRICT', () => {
    migrate(db, 3)
    const columns = (table: string) =>
      db.prepare(`SELECT name, type, "notnull" FROM pragma_table_info('${table}') ORDER BY cid`).all()
    expect(columns('classes')).toEqual([
      { name: 'id', type: 'INTEGER', notnull: 0 },
      { name: 'name', type: 'TEXT', notnull: 1 },
      { name: 'color', type: 'TEXT', notnull: 1 },
      { name: 'hotkey', type: 'TEXT', notnull: 0 },
      { name: 'position', type: 'INTEGER', notnull: 1 },
      { name: 'created_at', type: 'INTEGER', notnull: 1 },
      { name: 'deleted_at', type: 'INTEGER', notnull: 0 }
    ])
    expect(columns('label_actions')).toContainEqual({ name: 'deletes_class_id', type: 'INTEGER', notnull: 0 })
    expect(db.prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = 'classes'").pluck().get()).toBe(1)
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'classes_v3'").pluck().get()).toBe(0)
    expect(() => insertClass('x', null, 'yesterday' as never)).toThrow(/cannot store TEXT value in INTEGER column/)
  })

  it('keeps foreign keys intact and enforced on the rebuilt classes table', () => {
    seedV2()
    migrate(db, 3)
    expect(db.pragma('foreign_key_check')).toEqual([])
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    const references = db.prepare("SELECT \"table\", \"from\" FROM pragma_foreign_key_list('labels')").all()
    expect(references).toContainEqual({ table: 'classes', from: 'class_id' })
    expect(() => db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (13, 404, 'user', 1)").run()).toThrow(
      /FOREIGN KEY constraint failed/
    )
    expect(() => db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (21, 13, 404, NULL)').run()).toThrow(
      /FOREIGN KEY constraint failed/
    )
    expect(() => db.prepare("INSERT INTO label_actions (description, created_at, deletes_class_id) VALUES ('x', 1, 404)").run()).toThrow(
      /FOREIGN KEY constraint failed/
    )
    // A class still in use cannot be hard-deleted; deleting means setting deleted_at.
    expect(() => db.prepare('DELETE FROM classes WHERE id = 5').run()).toThrow(/FOREIGN KEY constraint failed/)
    db.prepare("INSERT INTO label_actions (description, created_at, deletes_class_id) VALUES ('Delete class bird', 2, 9)").run()
    db.prepare('UPDATE classes SET deleted_at = 2, hotkey = NULL WHERE id = 9').run()
    expect(db.pragma('foreign_key_check')).toEqual([])
  })

  it('makes names and hotkeys unique among live classes only', () => {
    seedV2()
    migrate(db, 3)
    expect(() => insertClass('cat', null)).toThrow(/UNIQUE constraint failed/)
    expect(() => insertClass('lion', '1')).toThrow(/UNIQUE constraint failed/)
    // Hotkeys may be absent on any number of classes.
    insertClass('fish', null)
    // A deleted class may share a name and hotkey with a live one.
    insertClass('cat', '1', 5000)
    insertClass('dog', '2', 5001)
    insertClass('cat', null, 5002)
    expect(db.prepare("SELECT count(*) FROM classes WHERE name = 'cat'").pluck().get()).toBe(3)
    // Bringing a deleted class back while its name is live again is refused by the index.
    const deletedCat = db.prepare("SELECT id FROM classes WHERE name = 'cat' AND deleted_at = 5002").pluck().get()
    expect(() => db.prepare('UPDATE classes SET deleted_at = NULL WHERE id = ?').run(deletedCat)).toThrow(/UNIQUE constraint failed/)
    // Soft-deleting the live one frees its name for a new live class.
    db.prepare('UPDATE classes SET deleted_at = 6000, hotkey = NULL WHERE id = 5').run()
    insertClass('cat', '1')
    expect(db.prepare("SELECT count(*) FROM classes WHERE name = 'cat' AND deleted_at IS NULL").pluck().get()).toBe(1)
    const indexes = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'classes' AND sql IS NOT NULL ORDER BY name").pluck().all()
    expect(indexes).toEqual(['classes_live_hotkey', 'classes_live_name'])
  })

  it('keeps the class checks of v1 (colour, blank name, one-character hotkey)', () => {
    migrate(db, 3)
    expect(() => insertClass('   ', null)).toThrow(/CHECK constraint failed/)
    expect(() => db.prepare("INSERT INTO classes (name, color, position, created_at) VALUES ('x', 'red', 0, 1)").run()).toThrow(
      /CHECK constraint failed/
    )
    expect(() => insertClass('y', '12')).toThrow(/CHECK constraint failed/)
  })

  it('leaves PRAGMA foreign_keys as it found it', () => {
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    migrate(db, 3)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)

    const off = new BetterSqlite3(join(tempDir(), 'off.pictor'))
    try {
      off.pragma('foreign_keys = OFF') // better-sqlite3 turns them on by default
      expect(off.pragma('foreign_keys', { simple: true })).toBe(0)
      expect(migrate(off, 2)).toBe(2)
      expect(migrate(off, 3)).toBe(3)
      expect(off.pragma('foreign_keys', { simple: true })).toBe(0)
    } finally {
      off.close()
    }
  })
})
