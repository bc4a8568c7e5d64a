import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

// Migration 006-review: start from v5 with a project, images, labels, two trained runs and cached
// features, run exactly this migration, and prove it kept every row and that the review tables hold
// what they promise (constraints, and cascades when a run or an image goes away).

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'v5.pictor'))
  db.pragma('foreign_keys = ON')
  expect(migrate(db, 5)).toBe(5)
})

afterEach(() => {
  db.close()
})

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
  'run_models',
  'run_checkpoints',
  'image_features',
  'predictions'
]
const snapshot = () => Object.fromEntries(TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table}`).all()]))
const count = (table: string, where = '1') => db.prepare(`SELECT count(*) FROM ${table} WHERE ${where}`).pluck().get() as number
const probabilities = (...values: number[]) => Buffer.from(new Float32Array(values).buffer)

function seedV5(): void {
  db.prepare("INSERT INTO project (id, name, created_at) VALUES (1, 'Pets', 1000)").run()
  db.prepare("INSERT INTO sources (id, root_path, added_at) VALUES (3, '/photos', 1000)").run()
  const image = db.prepare("INSERT INTO images (id, source_id, rel_path, bytes, mtime_ms, content_hash, split, split_origin, imported_at) VALUES (?, 3, ?, 10, 1, ?, 'test', 'auto', 1000)")
  image.run(11, 'a.jpg', 'aa')
  image.run(12, 'b.jpg', 'bb')
  image.run(13, 'c.jpg', 'cc')
  db.prepare("INSERT INTO classes (id, name, color, position, created_at) VALUES (5, 'cat', '#ff8800', 0, 1000), (7, 'dog', '#0088ff', 1, 1000)").run()
  db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (11, 5, 'folder', 1000), (12, 7, 'folder', 1000), (13, 7, 'user', 1001)").run()
  db.prepare("INSERT INTO label_actions (id, description, created_at) VALUES (1, 'Label c.jpg dog', 1001)").run()
  db.prepare('INSERT INTO label_changes (action_id, image_id, old_class_id, new_class_id) VALUES (1, 13, NULL, 7)').run()
  const run = db.prepare(
    `INSERT INTO training_runs (id, model_kind, status, settings, backend, class_names, created_at, started_at, finished_at)
     VALUES (?, 'cnn', 'done', '{}', 'wasm', '["cat","dog"]', 1000, 1002, 1003)`
  )
  run.run(21)
  run.run(22)
  db.prepare("INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (21, 0, '{}'), (22, 0, '{}')").run()
  db.prepare("INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (21, '{}', '[]', x'00', 1000), (22, '{}', '[]', x'00', 1000)").run()
  db.prepare("INSERT INTO image_features (content_hash, model_version, features, created_at) VALUES ('aa', 'm@sha256:1', ?, 1000)").run(Buffer.alloc(16))
}

/** A v6 evaluation of `runId` over images 11..13 (predictions are v1's table, first used now). */
function evaluate(runId: number): void {
  db.prepare("INSERT INTO run_evaluations (run_id, class_ids, engine, computed_at) VALUES (?, '[5,7]', 'tfjs-wasm', 2000)").run(runId)
  const insert = db.prepare('INSERT INTO predictions (run_id, image_id, probabilities, predicted_index, confidence) VALUES (?, ?, ?, ?, ?)')
  insert.run(runId, 11, probabilities(0.9, 0.1), 0, 0.9)
  insert.run(runId, 12, probabilities(0.3, 0.7), 1, 0.7)
  insert.run(runId, 13, probabilities(0.6, 0.4), 0, 0.6)
}

describe('migration 006-review', () => {
  it('sets user_version to 6 and keeps every v5 row', () => {
    seedV5()
    const before = snapshot()
    expect(migrate(db, 6)).toBe(6)
    expect(schemaVersion(db)).toBe(6)
    // Columns v6 adds to existing tables get their defaults on old rows; nothing else changes.
    const added: Record<string, [column: string, value: unknown]> = {
      training_runs: ['class_ids', null],
      label_actions: ['origin', 'user'],
      label_changes: ['old_origin', null]
    }
    const after = snapshot()
    for (const [table, [column, value]] of Object.entries(added)) {
      const rows = after[table] as Record<string, unknown>[]
      expect(rows.length).toBeGreaterThan(0)
      expect(rows.map((row) => row[column])).toEqual(rows.map(() => value))
      after[table] = rows.map(({ [column]: _dropped, ...rest }) => rest)
    }
    expect(after).toEqual(before)
    for (const table of ['run_evaluations', 'label_issue_scans', 'label_issues', 'label_issue_decisions', 'suggestions', 'robustness_reports']) {
      expect(count(table)).toBe(0)
    }
  })

  it('lets a run record its class ids as JSON, and refuses anything else', () => {
    seedV5()
    migrate(db, 6)
    db.prepare("UPDATE training_runs SET class_ids = '[5,7]' WHERE id = 21").run()
    expect(db.prepare('SELECT class_ids FROM training_runs WHERE id = 21').pluck().get()).toBe('[5,7]')
    expect(() => db.prepare("UPDATE training_runs SET class_ids = 'cat,dog' WHERE id = 21").run()).toThrow(/CHECK/)
  })

  it('creates the review tables as STRICT tables', () => {
    migrate(db, 6)
    const strict = db
      .prepare(
        `SELECT name FROM pragma_table_list WHERE schema = 'main' AND strict = 1 AND name IN
         ('run_evaluations', 'predictions', 'label_issue_scans', 'label_issues', 'label_issue_decisions', 'suggestions', 'robustness_reports')
         ORDER BY name`
      )
      .pluck()
      .all()
    expect(strict).toEqual(['label_issue_decisions', 'label_issue_scans', 'label_issues', 'predictions', 'robustness_reports', 'run_evaluations', 'suggestions'])
  })

  it('keeps one evaluation per run and one prediction per (run, image)', () => {
    seedV5()
    migrate(db, 6)
    evaluate(21)
    expect(() => db.prepare("INSERT INTO run_evaluations (run_id, class_ids, engine, computed_at) VALUES (21, '[5,7]', 'x', 1)").run()).toThrow(
      /UNIQUE constraint failed/
    )
    expect(() =>
      db.prepare('INSERT INTO predictions (run_id, image_id, probabilities, predicted_index, confidence) VALUES (21, 11, ?, 0, 0.5)').run(probabilities(0.5, 0.5))
    ).toThrow(/UNIQUE constraint failed/)
    // Another run's evaluation of the same images coexists.
    evaluate(22)
    expect(count('predictions')).toBe(6)
  })

  it('rejects an evaluation of a missing run, class ids that are not JSON, and impossible predictions', () => {
    seedV5()
    migrate(db, 6)
    expect(() => db.prepare("INSERT INTO run_evaluations (run_id, class_ids, engine, computed_at) VALUES (99, '[5]', 'x', 1)").run()).toThrow(
      /FOREIGN KEY constraint failed/
    )
    expect(() => db.prepare("INSERT INTO run_evaluations (run_id, class_ids, engine, computed_at) VALUES (21, '[5,', 'x', 1)").run()).toThrow(
      /CHECK constraint failed/
    )
    const insert = db.prepare('INSERT INTO predictions (run_id, image_id, probabilities, predicted_index, confidence) VALUES (21, ?, ?, ?, ?)')
    expect(() => insert.run(11, probabilities(0.5, 0.5), -1, 0.5)).toThrow(/CHECK constraint failed/)
    expect(() => insert.run(11, probabilities(0.5, 0.5), 0, 1.5)).toThrow(/CHECK constraint failed/)
    expect(() => insert.run(99, probabilities(0.5, 0.5), 0, 0.5)).toThrow(/FOREIGN KEY constraint failed/)
    expect(() => insert.run(11, 'not a blob', 0, 0.5)).toThrow(/cannot store TEXT value in BLOB column/)
  })

  it('deleting a run deletes its evaluation and predictions, and nothing of another run', () => {
    seedV5()
    migrate(db, 6)
    evaluate(21)
    evaluate(22)
    db.prepare('INSERT INTO robustness_reports (run_id, split, count, points, computed_at) VALUES (21, \'test\', 3, \'[]\', 1)').run()
    db.prepare('INSERT INTO suggestions (image_id, run_id, class_id, confidence, computed_at) VALUES (11, 21, 5, 0.8, 1)').run()
    db.prepare('DELETE FROM training_runs WHERE id = 21').run()
    expect(count('run_evaluations', 'run_id = 21')).toBe(0)
    expect(count('predictions', 'run_id = 21')).toBe(0)
    expect(count('robustness_reports')).toBe(0)
    expect(count('suggestions')).toBe(0)
    expect(count('run_evaluations', 'run_id = 22')).toBe(1)
    expect(count('predictions', 'run_id = 22')).toBe(3)
  })

  it("deleting an image deletes its predictions, suggestion and label-issue rows, and no other image's", () => {
    seedV5()
    migrate(db, 6)
    evaluate(21)
    db.prepare('INSERT INTO suggestions (image_id, run_id, class_id, confidence, computed_at) VALUES (12, 21, 5, 0.8, 1)').run()
    db.prepare("INSERT INTO label_issue_scans (id, folds, examined, model_version, computed_at) VALUES (1, 5, 3, 'm', 1)").run()
    db.prepare('INSERT INTO label_issues (image_id, given_class_id, suggested_class_id, self_confidence, suggested_confidence, rank) VALUES (12, 7, 5, 0.2, 0.8, 0)').run()
    db.prepare("INSERT INTO label_issue_decisions (image_id, given_class_id, decision, decided_at) VALUES (12, 7, 'rejected', 1)").run()
    db.prepare('DELETE FROM images WHERE id = 12').run()
    expect(count('predictions', 'image_id = 12')).toBe(0)
    expect(count('predictions')).toBe(2)
    expect(count('suggestions')).toBe(0)
    expect(count('label_issues')).toBe(0)
    expect(count('label_issue_decisions')).toBe(0)
    // The evaluation itself stays: it still holds the other images' predictions.
    expect(count('run_evaluations')).toBe(1)
  })
})
