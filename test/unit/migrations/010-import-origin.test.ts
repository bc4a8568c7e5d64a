import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// Migration 010-import-origin: from v9 with labels and a label history, run exactly this migration and
// prove the three rebuilt tables keep every row, stay STRICT with their indexes and foreign keys, and
// now take 'import' as an origin (and still refuse anything else).

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v9.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 9)).toBe(9)
})

afterEach(() => {
  db.close()
})

const TABLES = ['labels', 'label_actions', 'label_changes']
const snapshot = () => Object.fromEntries(TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table}`).all()]))

function seedV9(): void {
  db.prepare("INSERT INTO project (id, name, created_at) VALUES (1, 'Pets', 1000)").run()
  db.prepare("INSERT INTO sources (id, root_path, added_at) VALUES (3, '/photos', 1000)").run()
  const image = db.prepare('INSERT INTO images (id, source_id, rel_path, bytes, mtime_ms, content_hash, imported_at) VALUES (?, 3, ?, 10, 1, ?, 1000)')
  image.run(11, 'a.jpg', 'aa')
  image.run(12, 'b.jpg', 'bb')
  image.run(13, 'c.jpg', 'cc')
  db.prepare("INSERT INTO classes (id, name, color, position, created_at) VALUES (5, 'cat', '#ff8800', 0, 1000), (7, 'dog', '#0088ff', 1, 1000)").run()
  db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (11, 5, 'folder', 1000), (12, 7, 'model', 1000), (13, 7, 'user', 1001)").run()
  db.prepare("INSERT INTO label_actions (id, description, created_at, undone, origin) VALUES (1, 'Label c.jpg dog', 1001, 0, 'user'), (2, 'Accept', 1002, 1, 'model')").run()
  db.prepare("INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id, old_origin) VALUES (1, 13, 5, 7, 'folder'), (2, 12, NULL, 7, NULL)").run()
}

describe('migration 010-import-origin', () => {
  it('sets user_version to 10 and keeps every row, STRICT, indexed and with sound foreign keys', () => {
    seedV9()
    const before = snapshot()
    expect(migrate(db, 10)).toBe(10)
    expect(schemaVersion(db)).toBe(10)
    expect(snapshot()).toEqual(before)
    for (const table of TABLES) {
      expect(db.prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = ?").pluck().get(table)).toBe(1)
    }
    const indexes = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name IN ('labels', 'label_changes') ORDER BY name").pluck().all()
    expect(indexes).toEqual(['label_changes_by_image', 'labels_by_class'])
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%_v10%'").pluck().get()).toBe(0)
    expect(db.pragma('foreign_key_check')).toEqual([])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it("takes 'import' as a label's, an action's and a change's origin, and still refuses anything else", () => {
    seedV9()
    expect(() => db.prepare("UPDATE labels SET origin = 'import' WHERE image_id = 11").run()).toThrow(/CHECK/)
    migrate(db, 10)
    db.prepare("UPDATE labels SET origin = 'import' WHERE image_id = 11").run()
    db.prepare("INSERT INTO label_actions (id, description, created_at, origin) VALUES (3, 'Import labels', 2000, 'import')").run()
    db.prepare("INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id, old_origin) VALUES (3, 11, 5, 7, 'import')").run()
    expect(() => db.prepare("UPDATE labels SET origin = 'guess' WHERE image_id = 12").run()).toThrow(/CHECK/)
    expect(() => db.prepare("UPDATE label_actions SET origin = 'folder' WHERE id = 3").run()).toThrow(/CHECK/)
    expect(() => db.prepare("UPDATE label_changes SET old_origin = 'guess' WHERE action_id = 3").run()).toThrow(/CHECK/)
  })

  it('keeps the cascades: deleting an action drops its changes, deleting an image its label and changes', () => {
    seedV9()
    migrate(db, 10)
    db.prepare('DELETE FROM label_actions WHERE id = 2').run()
    expect(db.prepare('SELECT action_id FROM label_changes').pluck().all()).toEqual([1])
    db.prepare('DELETE FROM images WHERE id = 13').run()
    expect(db.prepare('SELECT count(*) FROM label_changes').pluck().get()).toBe(0)
    expect(db.prepare('SELECT image_id FROM labels ORDER BY image_id').pluck().all()).toEqual([11, 12])
    expect(() => db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (13, 99, 'import', 1)").run()).toThrow(/FOREIGN KEY/)
  })
})
