import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createProjectDatabase } from '../../../../src-main/db/connection'
import { loadTrainingExamples } from '../../../../src-main/db/queries/training-data'
import { useTempDir } from '../../../helpers/temp-dir'

const tempDir = useTempDir()
let db: Database | undefined
afterEach(() => {
  db?.close()
  db = undefined
})

function insertClass(target: Database, name: string, position: number, deletedAt: number | null = null): number {
  return Number(
    target
      .prepare("INSERT INTO classes (name, color, position, created_at, deleted_at) VALUES (?, '#5b9cff', ?, 1, ?)")
      .run(name, position, deletedAt).lastInsertRowid
  )
}

function insertImage(target: Database, sourceId: number, relPath: string, status: 'ok' | 'failed' | 'missing', split: string | null = null): number {
  return Number(
    target
      .prepare(
        `INSERT INTO images (source_id, rel_path, status, error_code, bytes, mtime_ms, content_hash, split, split_origin, imported_at)
         VALUES (?, ?, ?, ?, 10, 1, ?, ?, ?, 1)`
      )
      .run(sourceId, relPath, status, status === 'failed' ? 'CORRUPT' : null, `hash-${relPath}`, split, split ? 'auto' : null).lastInsertRowid
  )
}

const label = (target: Database, imageId: number, classId: number) =>
  target.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, ?, 'user', 1)").run(imageId, classId)

describe('loadTrainingExamples', () => {
  it('keeps only ok images labelled with a live class, with classes in display order', () => {
    db = createProjectDatabase(join(tempDir(), 'p.pictor'))
    const root = join(tempDir(), 'photos')
    const sourceId = Number(db.prepare('INSERT INTO sources (root_path, added_at) VALUES (?, 1)').run(root).lastInsertRowid)
    // Inserted out of display order; 'bird' and 'ant' tie on position, so id order decides.
    const dog = insertClass(db, 'dog', 2)
    const cat = insertClass(db, 'cat', 0)
    const bird = insertClass(db, 'bird', 1)
    const ant = insertClass(db, 'ant', 1)
    const gone = insertClass(db, 'gone', 0, 1234)
    const empty = insertClass(db, 'empty', 3)

    const good = insertImage(db, sourceId, 'cats/a.jpg', 'ok', 'train')
    label(db, good, cat)
    const dogImage = insertImage(db, sourceId, 'dogs/b.jpg', 'ok', 'val')
    label(db, dogImage, dog)
    const birdImage = insertImage(db, sourceId, 'birds/c.jpg', 'ok')
    label(db, birdImage, bird)
    label(db, insertImage(db, sourceId, 'cats/failed.jpg', 'failed'), cat)
    label(db, insertImage(db, sourceId, 'cats/missing.jpg', 'missing'), cat)
    insertImage(db, sourceId, 'unlabelled.jpg', 'ok')
    label(db, insertImage(db, sourceId, 'gone/d.jpg', 'ok'), gone)

    const { classes, examples } = loadTrainingExamples(db)
    expect(classes).toEqual([
      { id: cat, name: 'cat' },
      { id: bird, name: 'bird' },
      { id: ant, name: 'ant' },
      { id: dog, name: 'dog' },
      { id: empty, name: 'empty' }
    ])
    expect(examples).toEqual([
      { imageId: good, path: join(root, 'cats', 'a.jpg'), contentHash: 'hash-cats/a.jpg', classIndex: 0, split: 'train' },
      { imageId: dogImage, path: join(root, 'dogs', 'b.jpg'), contentHash: 'hash-dogs/b.jpg', classIndex: 3, split: 'val' },
      { imageId: birdImage, path: join(root, 'birds', 'c.jpg'), contentHash: 'hash-birds/c.jpg', classIndex: 1, split: null }
    ])
  })

  it('answers no classes and no examples for an empty project', () => {
    db = createProjectDatabase(join(tempDir(), 'empty.pictor'))
    expect(loadTrainingExamples(db)).toEqual({ classes: [], examples: [] })
  })
})
