import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createProjectDatabase } from '../../../src-main/db/connection'
import { insertProject } from '../../../src-main/db/queries/project'
import { applySplits, getSplitRatios, setSplitRatios, setUserSplit } from '../../../src-main/splits/apply-splits'
import { expectAppError } from '../../helpers/app-error'
import { useTempDir } from '../../helpers/temp-dir'
import { contentHashOf, flipBits, randomPhash, seededRandom } from './split-fixtures'

const tempDir = useTempDir()
const open: Database[] = []
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close()
})

interface Row {
  id: number
  split: string | null
  split_origin: string | null
}

/**
 * A real project: 3 classes × 30 images (with an exact and a near duplicate of image 1), one
 * unlabeled image, one from a 'val' folder with a byte-identical copy, and a failed file.
 */
function makeProject(withProjectRow = true): Database {
  const db = createProjectDatabase(join(tempDir(), 'splits.pictor'), (db) => {
    if (withProjectRow) insertProject(db, { name: 'Splits', createdAt: 1 })
  })
  open.push(db)
  const random = seededRandom(51)
  db.prepare("INSERT INTO sources (id, root_path, added_at) VALUES (1, '/photos', 1)").run()
  for (const [id, name] of [[1, 'cat'], [2, 'dog'], [3, 'fox']] as const) {
    db.prepare("INSERT INTO classes (id, name, color, position, created_at) VALUES (?, ?, '#5b9cff', ?, 1)").run(id, name, id)
  }
  const insertImage = db.prepare(
    `INSERT INTO images (id, source_id, rel_path, status, error_code, bytes, mtime_ms, content_hash, phash, split, split_origin, imported_at)
     VALUES (@id, 1, @relPath, @status, @errorCode, 1, 1, @contentHash, @phash, @split, @splitOrigin, 1)`
  )
  const label = db.prepare("INSERT INTO labels (image_id, class_id, origin, updated_at) VALUES (?, ?, 'folder', 1)")
  const add = (id: number, classId: number | null, fields: Partial<Record<string, string | null>> = {}): void => {
    insertImage.run({
      id, relPath: `img-${id}.jpg`, status: 'ok', errorCode: null, contentHash: contentHashOf(`img-${id}`),
      phash: randomPhash(random), split: null, splitOrigin: null, ...fields
    })
    if (classId !== null) label.run(id, classId)
  }
  for (let id = 1; id <= 90; id++) add(id, 1 + ((id - 1) % 3))
  const first = db.prepare('SELECT content_hash AS contentHash, phash FROM images WHERE id = 1').get() as { contentHash: string; phash: string }
  add(91, 1, { contentHash: first.contentHash })
  add(92, 1, { phash: flipBits(first.phash, 2, random) })
  add(93, null)
  add(94, 2, { split: 'val', splitOrigin: 'folder' })
  const fromFolder = db.prepare('SELECT content_hash FROM images WHERE id = 94').pluck().get() as string
  add(95, 2, { contentHash: fromFolder })
  add(96, null, { status: 'failed', errorCode: 'DECODE_FAILED', contentHash: null, phash: null })
  return db
}

const rows = (db: Database): Row[] => db.prepare('SELECT id, split, split_origin FROM images ORDER BY id').all() as Row[]
const row = (db: Database, id: number): Row => db.prepare('SELECT id, split, split_origin FROM images WHERE id = ?').get(id) as Row

describe('applySplits on a project file', () => {
  it('assigns every usable image, keeps folder splits and leaves failed files alone', () => {
    const db = makeProject()
    const result = applySplits(db)
    expect(result.ratios).toEqual({ train: 0.8, val: 0.1, test: 0.1 })
    expect(result.changed).toBe(95 - 1)
    const all = rows(db)
    for (const image of all.filter((image) => image.id <= 95 && image.id !== 94)) {
      expect(image.split_origin, `image ${image.id}`).toBe('auto')
      expect(['train', 'val', 'test']).toContain(image.split)
    }
    expect(row(db, 94)).toEqual({ id: 94, split: 'val', split_origin: 'folder' })
    expect(row(db, 95)).toEqual({ id: 95, split: 'val', split_origin: 'auto' })
    expect(row(db, 96)).toEqual({ id: 96, split: null, split_origin: null })
    expect(row(db, 91).split).toBe(row(db, 1).split)
    expect(row(db, 92).split).toBe(row(db, 1).split)
    for (const classId of [1, 2, 3]) {
      const counts = result.counts.find((entry) => entry.classId === classId)!
      expect(counts.val).toBeGreaterThanOrEqual(1)
      expect(counts.test).toBeGreaterThanOrEqual(1)
    }
    expect(result.counts.at(-1)).toMatchObject({ classId: null })
    // A second run finds nothing to do and changes nothing.
    expect(applySplits(db).changed).toBe(0)
    expect(rows(db)).toEqual(all)
  })

  it("keeps the user's override through re-assignment, pulls its duplicates, and can hand it back", () => {
    const db = makeProject()
    applySplits(db)
    const original = rows(db)
    const target = row(db, 1).split === 'test' ? 'val' : 'test'
    expect(setUserSplit(db, [1], target)).toBe(1)
    expect(row(db, 1)).toEqual({ id: 1, split: target, split_origin: 'user' })
    applySplits(db)
    expect(row(db, 1)).toEqual({ id: 1, split: target, split_origin: 'user' })
    expect(row(db, 91)).toEqual({ id: 91, split: target, split_origin: 'auto' })
    expect(row(db, 92)).toEqual({ id: 92, split: target, split_origin: 'auto' })

    // null drops the override; the next apply decides as if it had never been set.
    expect(setUserSplit(db, [1, 94], null)).toBe(1)
    expect(row(db, 1)).toEqual({ id: 1, split: null, split_origin: null })
    expect(row(db, 94)).toEqual({ id: 94, split: 'val', split_origin: 'folder' })
    applySplits(db)
    expect(rows(db)).toEqual(original)
  })

  it('lets the user override a folder split too', () => {
    const db = makeProject()
    setUserSplit(db, [94], 'train')
    applySplits(db)
    expect(row(db, 94)).toEqual({ id: 94, split: 'train', split_origin: 'user' })
    expect(row(db, 95)).toEqual({ id: 95, split: 'train', split_origin: 'auto' })
  })

  it('rejects bad overrides', () => {
    const db = makeProject()
    expectAppError(() => setUserSplit(db, [1], 'holdout' as 'test'), 'INVALID_REQUEST')
    expectAppError(() => setUserSplit(db, [1.5], 'test'), 'INVALID_REQUEST')
    expect(row(db, 1)).toEqual({ id: 1, split: null, split_origin: null })
  })
})

describe('split ratios in the project settings', () => {
  it('default to 0.8/0.1/0.1 and persist beside other settings', () => {
    const db = makeProject()
    expect(getSplitRatios(db)).toEqual({ train: 0.8, val: 0.1, test: 0.1 })
    db.prepare(`UPDATE project SET settings = '{"theme":"dark"}'`).run()
    expect(setSplitRatios(db, { train: 0.6, val: 0.2, test: 0.2 })).toEqual({ train: 0.6, val: 0.2, test: 0.2 })
    expect(getSplitRatios(db)).toEqual({ train: 0.6, val: 0.2, test: 0.2 })
    const settings = JSON.parse(db.prepare('SELECT settings FROM project').pluck().get() as string)
    expect(settings).toEqual({ theme: 'dark', splitRatios: { train: 0.6, val: 0.2, test: 0.2 } })
  })

  it('are what applySplits uses, and re-applying with new ratios moves only auto rows', () => {
    const db = makeProject()
    applySplits(db)
    setSplitRatios(db, { train: 0, val: 0, test: 1 })
    applySplits(db)
    const all = rows(db)
    const auto = all.filter((image) => image.split_origin === 'auto' && image.id !== 95)
    expect(auto).toHaveLength(93)
    expect(auto.every((image) => image.split === 'test')).toBe(true)
    // The folder's split still wins over the ratios, and still holds its byte-identical copy.
    expect(row(db, 94)).toEqual({ id: 94, split: 'val', split_origin: 'folder' })
    expect(row(db, 95)).toEqual({ id: 95, split: 'val', split_origin: 'auto' })
  })

  it('rejects invalid ratios, keeping the stored ones, and falls back to defaults on a corrupt value', () => {
    const db = makeProject()
    setSplitRatios(db, { train: 0.7, val: 0.15, test: 0.15 })
    expectAppError(() => setSplitRatios(db, { train: 0.7, val: 0.2, test: 0.2 }), 'INVALID_REQUEST')
    expect(getSplitRatios(db)).toEqual({ train: 0.7, val: 0.15, test: 0.15 })
    db.prepare(`UPDATE project SET settings = '{"splitRatios":{"train":2}}'`).run()
    expect(getSplitRatios(db)).toEqual({ train: 0.8, val: 0.1, test: 0.1 })
  })

  it('answer NOT_FOUND when the project row is missing', () => {
    const db = makeProject(false)
    expect(getSplitRatios(db)).toEqual({ train: 0.8, val: 0.1, test: 0.1 })
    expectAppError(() => setSplitRatios(db, { train: 0.5, val: 0.25, test: 0.25 }), 'NOT_FOUND')
  })
})
