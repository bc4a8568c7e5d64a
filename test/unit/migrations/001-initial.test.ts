import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// One test file per migration: start from the schema before it (v0 here), run exactly this
// migration, and prove the tables and constraints it promises are really there.

const TABLES = [
  'project',
  'sources',
  'images',
  'classes',
  'labels',
  'label_actions',
  'label_changes',
  'training_runs',
  'run_epochs',
  'predictions'
]

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v0.pictor'))
  db.pragma('foreign_keys = ON')
  expect(schemaVersion(db)).toBe(0)
  expect(migrate(db, 1)).toBe(1)
})

afterEach(() => {
  db.close()
})

/** Inserts one of everything and returns the ids. */
function seed() {
  db.prepare("INSERT INTO project (id, name, created_at) VALUES (1, 'Cats', 1000)").run()
  const source = db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/photos', 1000)").run()
  const sourceId = Number(source.lastInsertRowid)
  const insertImage = db.prepare(
    `INSERT INTO images (source_id, rel_path, bytes, mtime_ms, width, height, format, folder_class, split, split_origin, imported_at)
     VALUES (?, ?, 1234, 999, 64, 48, 'jpeg', 'cat', ?, ?, 1000)`
  )
  const imageA = Number(insertImage.run(sourceId, 'cat/a.jpg', 'train', 'folder').lastInsertRowid)
  const imageB = Number(insertImage.run(sourceId, 'cat/b.jpg', null, null).lastInsertRowid)
  const insertClass = db.prepare(
    'INSERT INTO classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, 1000)'
  )
  const cat = Number(insertClass.run('cat', '#ff8800', '1', 0).lastInsertRowid)
  const dog = Number(insertClass.run('dog', '#0088ff', null, 1).lastInsertRowid)
  db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, ?, 'folder', 1000)").run(imageA, cat)
  const action = Number(
    db.prepare("INSERT INTO label_actions (description, created_at) VALUES ('label as dog', 1001)").run().lastInsertRowid
  )
  db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (?, ?, ?, ?)').run(
    action,
    imageB,
    null,
    dog
  )
  const run = Number(
    db
      .prepare(
        `INSERT INTO training_runs (model_kind, status, settings, class_names, created_at)
         VALUES ('cnn', 'done', '{"epochs":2}', '["cat","dog"]', 1002)`
      )
      .run().lastInsertRowid
  )
  db.prepare('INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (?, 0, ?)').run(run, '{"loss":0.5}')
  const probabilities = Buffer.from(new Float32Array([0.9, 0.1]).buffer)
  db.prepare(
    'INSERT INTO predictions (run_id, image_id, predicted_index, confidence, probabilities) VALUES (?, ?, 0, 0.9, ?)'
  ).run(run, imageA, probabilities)
  return { sourceId, imageA, imageB, cat, dog, action, run }
}

const count = (table: string, where = '1'): number =>
  (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n

describe('migration 001-initial', () => {
  it('sets user_version to 1', () => {
    expect(db.pragma('user_version', { simple: true })).toBe(1)
  })

  it('creates every table, each one STRICT', () => {
    const rows = db.prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main'").all() as {
      name: string
      strict: number
    }[]
    const ours = rows.filter((row) => !row.name.startsWith('sqlite_'))
    expect(ours.map((row) => row.name).sort()).toEqual([...TABLES].sort())
    for (const row of ours) expect(row.strict, row.name).toBe(1)
  })

  it('creates the lookup indexes', () => {
    const indexes = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index'").all() as { name: string }[]).map(
      (row) => row.name
    )
    for (const name of ['images_by_content_hash', 'images_by_status', 'images_by_split', 'labels_by_class', 'predictions_by_image']) {
      expect(indexes).toContain(name)
    }
  })

  it('accepts one representative row in every table', () => {
    const ids = seed()
    for (const table of TABLES) expect(count(table), table).toBeGreaterThan(0)
    const image = db.prepare('SELECT status, split, split_origin FROM images WHERE id = ?').get(ids.imageA)
    expect(image).toEqual({ status: 'ok', split: 'train', split_origin: 'folder' })
    const probabilities = (db.prepare('SELECT probabilities FROM predictions').get() as { probabilities: Buffer })
      .probabilities
    expect(Array.from(new Float32Array(probabilities.buffer, probabilities.byteOffset, 2))).toEqual([
      expect.closeTo(0.9, 5),
      expect.closeTo(0.1, 5)
    ])
  })

  it('refuses a wrong type in a STRICT column instead of storing it', () => {
    seed()
    expect(() =>
      db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/other', 'yesterday')").run()
    ).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(() =>
      db.prepare("INSERT INTO classes (name, color, position, created_at) VALUES ('x', '#000000', 1.5, 1)").run()
    ).toThrow(/cannot store REAL value in INTEGER column/)
  })

  it('allows only one project row', () => {
    seed()
    expect(() => db.prepare("INSERT INTO project (id, name, created_at) VALUES (2, 'Two', 1)").run()).toThrow(
      /CHECK constraint failed/
    )
    expect(() => db.prepare("UPDATE project SET settings = 'not json'").run()).toThrow(/CHECK constraint failed/)
  })

  it('enforces the image split rules and the failed-status reason', () => {
    const { sourceId } = seed()
    const insert = (relPath: string, status: string, errorCode: string | null, split: string | null, origin: string | null) =>
      db
        .prepare(
          `INSERT INTO images (source_id, rel_path, status, error_code, bytes, mtime_ms, split, split_origin, imported_at)
           VALUES (?, ?, ?, ?, 1, 1, ?, ?, 1)`
        )
        .run(sourceId, relPath, status, errorCode, split, origin)
    expect(() => insert('x1.jpg', 'ok', null, 'holdout', 'auto')).toThrow(/CHECK constraint failed/)
    expect(() => insert('x2.jpg', 'ok', null, 'train', null)).toThrow(/CHECK constraint failed/)
    expect(() => insert('x3.jpg', 'ok', null, null, 'user')).toThrow(/CHECK constraint failed/)
    expect(() => insert('x4.jpg', 'ok', null, 'val', 'guess')).toThrow(/CHECK constraint failed/)
    expect(() => insert('x5.jpg', 'failed', null, null, null)).toThrow(/CHECK constraint failed/)
    expect(() => insert('x6.jpg', 'broken', null, null, null)).toThrow(/CHECK constraint failed/)
    expect(() => insert('cat/a.jpg', 'ok', null, null, null)).toThrow(/UNIQUE constraint failed/)
    insert('x7.jpg', 'failed', 'DECODE_ERROR', null, null)
    insert('x8.jpg', 'ok', null, 'test', 'user')
    expect(count('images', "rel_path LIKE 'x%'")).toBe(2)
  })

  it('enforces class colours, names and hotkeys', () => {
    seed()
    const insert = (name: string, color: string, hotkey: string | null) =>
      db.prepare('INSERT INTO classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, 9, 1)').run(name, color, hotkey)
    for (const color of ['red', '#FF8800', '#ff880', '#ff88001', 'ff8800', '#gg8800']) {
      expect(() => insert(`c-${color}`, color, null), color).toThrow(/CHECK constraint failed/)
    }
    expect(() => insert('   ', '#123456', null)).toThrow(/CHECK constraint failed/)
    expect(() => insert('cat', '#123456', null)).toThrow(/UNIQUE constraint failed/)
    expect(() => insert('bird', '#123456', '1')).toThrow(/UNIQUE constraint failed/)
    expect(() => insert('bird', '#123456', '12')).toThrow(/CHECK constraint failed/)
    insert('bird', '#123456', '2')
    expect(count('classes')).toBe(3)
  })

  it('refuses a label or label change pointing at a missing class or image', () => {
    const { imageA, imageB, action } = seed()
    expect(() =>
      db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, 999, 'user', 1)").run(imageB)
    ).toThrow(/FOREIGN KEY constraint failed/)
    expect(() =>
      db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (999, 1, 'user', 1)").run()
    ).toThrow(/FOREIGN KEY constraint failed/)
    expect(() =>
      db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, 1, 'magic', 1)").run(imageB)
    ).toThrow(/CHECK constraint failed/)
    expect(() =>
      db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (?, ?, NULL, 999)').run(action, imageA)
    ).toThrow(/FOREIGN KEY constraint failed/)
    // A change must change something.
    expect(() =>
      db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (?, ?, 1, 1)').run(action, imageA)
    ).toThrow(/CHECK constraint failed/)
  })

  it('refuses to delete a class that labels still use', () => {
    const { cat } = seed()
    expect(() => db.prepare('DELETE FROM classes WHERE id = ?').run(cat)).toThrow(/FOREIGN KEY constraint failed/)
  })

  it('enforces training run status, JSON columns and prediction ranges', () => {
    const { run, imageB } = seed()
    const insertRun = (status: string, settings: string) =>
      db
        .prepare("INSERT INTO training_runs (model_kind, status, settings, class_names, created_at) VALUES ('cnn', ?, ?, '[]', 1)")
        .run(status, settings)
    expect(() => insertRun('exploded', '{}')).toThrow(/CHECK constraint failed/)
    expect(() => insertRun('queued', '{not json')).toThrow(/CHECK constraint failed/)
    expect(() => db.prepare("INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (?, -1, '{}')").run(run)).toThrow(
      /CHECK constraint failed/
    )
    const predict = (confidence: number, index: number) =>
      db
        .prepare('INSERT INTO predictions (run_id, image_id, predicted_index, confidence, probabilities) VALUES (?, ?, ?, ?, ?)')
        .run(run, imageB, index, confidence, Buffer.alloc(8))
    expect(() => predict(1.5, 0)).toThrow(/CHECK constraint failed/)
    expect(() => predict(0.5, -1)).toThrow(/CHECK constraint failed/)
    predict(0.5, 1)
    expect(count('predictions')).toBe(2)
  })

  it('cascades an image delete to its labels, label changes and predictions', () => {
    const { imageA, imageB } = seed()
    db.prepare('DELETE FROM images WHERE id = ?').run(imageA)
    expect(count('labels', `image_id = ${imageA}`)).toBe(0)
    expect(count('predictions', `image_id = ${imageA}`)).toBe(0)
    db.prepare('DELETE FROM images WHERE id = ?').run(imageB)
    expect(count('label_changes')).toBe(0)
    expect(count('label_actions')).toBe(1) // the action itself is history, kept
  })

  it('cascades a source delete to its images, and a run delete to its epochs and predictions', () => {
    const { sourceId, run } = seed()
    db.prepare('DELETE FROM training_runs WHERE id = ?').run(run)
    expect(count('run_epochs')).toBe(0)
    expect(count('predictions')).toBe(0)
    db.prepare('DELETE FROM sources WHERE id = ?').run(sourceId)
    expect(count('images')).toBe(0)
    expect(count('labels')).toBe(0)
    expect(db.pragma('foreign_key_check')).toEqual([])
  })
})
