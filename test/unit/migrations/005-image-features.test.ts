import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// One test file per migration: start from v4 with a project, images, labels and a trained run,
// run exactly this migration, and prove it kept every row and added the feature cache as promised.

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v4.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 4)).toBe(4)
})

afterEach(() => {
  db.close()
})

const TABLES = ['project', 'sources', 'images', 'classes', 'labels', 'training_runs', 'run_epochs', 'run_models', 'run_checkpoints']
const snapshot = () => Object.fromEntries(TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table}`).all()]))
const hash = (n: number) => n.toString(16).padStart(64, '0')
const blob = (values: number) => Buffer.alloc(values * 4, 1)

function seedV4(): void {
  db.prepare("INSERT INTO project (id, name, created_at) VALUES (1, 'Pets', 1000)").run()
  db.prepare("INSERT INTO sources (id, root_path, added_at) VALUES (3, '/photos', 1000)").run()
  const image = db.prepare('INSERT INTO images (id, source_id, rel_path, bytes, mtime_ms, content_hash, imported_at) VALUES (?, 3, ?, 10, 1, ?, 1000)')
  image.run(11, 'a.jpg', hash(1))
  image.run(12, 'b.jpg', hash(1)) // a duplicate of a.jpg
  image.run(13, 'c.jpg', hash(2))
  db.prepare("INSERT INTO classes (id, name, color, position, created_at) VALUES (5, 'cat', '#ff8800', 0, 1000), (7, 'dog', '#0088ff', 1, 1000)").run()
  db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (11, 5, 'folder', 1000), (13, 7, 'user', 1001)").run()
  db.prepare(
    `INSERT INTO training_runs (id, model_kind, status, settings, backend, class_names, created_at)
     VALUES (21, 'cnn', 'done', '{}', 'wasm', '["cat","dog"]', 1000)`
  ).run()
  db.prepare("INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (21, 0, '{}')").run()
  db.prepare("INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (21, '{}', '[]', x'00', 1000)").run()
}

const insertFeatures = (contentHash: string, version: string, features: unknown = blob(1280)) =>
  db.prepare('INSERT INTO image_features (content_hash, model_version, features, created_at) VALUES (?, ?, ?, 1000)').run(contentHash, version, features)

describe('migration 005-image-features', () => {
  it('sets user_version to 5 and keeps every v4 row', () => {
    seedV4()
    const before = snapshot()
    expect(migrate(db, 5)).toBe(5)
    expect(schemaVersion(db)).toBe(5)
    expect(snapshot()).toEqual(before)
    expect(db.prepare('SELECT count(*) FROM image_features').pluck().get()).toBe(0)
  })

  it('creates image_features as a STRICT, WITHOUT ROWID table keyed by (content_hash, model_version)', () => {
    migrate(db, 5)
    const table = db.prepare("SELECT strict, wr FROM pragma_table_list WHERE schema = 'main' AND name = 'image_features'").get()
    expect(table).toEqual({ strict: 1, wr: 1 })
    const columns = db.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info('image_features') ORDER BY cid`).all()
    expect(columns).toEqual([
      { name: 'content_hash', type: 'TEXT', notnull: 1, pk: 1 },
      { name: 'model_version', type: 'TEXT', notnull: 1, pk: 2 },
      { name: 'features', type: 'BLOB', notnull: 1, pk: 0 },
      { name: 'created_at', type: 'INTEGER', notnull: 1, pk: 0 }
    ])
  })

  it('keeps one row per hash and version: duplicates share, other versions coexist', () => {
    seedV4()
    migrate(db, 5)
    insertFeatures(hash(1), 'mobilenet_v2@sha256:aa')
    insertFeatures(hash(1), 'mobilenet_v2@sha256:bb')
    expect(() => insertFeatures(hash(1), 'mobilenet_v2@sha256:aa')).toThrow(/UNIQUE constraint failed/)
    // Both images with hash(1) find the one row; no foreign key ties it to an image.
    const shared = db
      .prepare(
        `SELECT i.rel_path FROM images i JOIN image_features f ON f.content_hash = i.content_hash
         WHERE f.model_version = 'mobilenet_v2@sha256:aa' ORDER BY i.id`
      )
      .pluck()
      .all()
    expect(shared).toEqual(['a.jpg', 'b.jpg'])
    db.prepare('DELETE FROM images').run()
    expect(db.prepare('SELECT count(*) FROM image_features').pluck().get()).toBe(2)
  })

  it('rejects features that are not whole float32 values, and values of the wrong type', () => {
    migrate(db, 5)
    expect(() => insertFeatures(hash(1), 'v', Buffer.alloc(5))).toThrow(/CHECK constraint/)
    expect(() => insertFeatures(hash(1), 'v', Buffer.alloc(0))).toThrow(/CHECK constraint/)
    expect(() => insertFeatures(hash(1), 'v', 'not a blob')).toThrow(/cannot store TEXT value in BLOB column/)
    expect(() => insertFeatures('', 'v')).toThrow(/CHECK constraint/)
    expect(() =>
      db.prepare("INSERT INTO image_features (content_hash, model_version, features, created_at) VALUES (?, 'v', ?, 'soon')").run(hash(1), blob(4))
    ).toThrow(/cannot store TEXT value in INTEGER column/)
  })
})
