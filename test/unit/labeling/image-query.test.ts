import { describe, expect, it } from 'vitest'
import type { RequestOf } from '../../../src-main/contract/methods'
import { fakeHash, useLabelingProject, type ImageSpec } from '../../helpers/labeling-project'

// images.query (filters and sorts, by id list) and images.get, through the real services.

const project = useLabelingProject()

const H1 = fakeHash('same bytes')
const H2 = fakeHash('other bytes')

/** Seven images covering every filter; classes dog (position 0) and cat (position 1). */
async function seed() {
  const p = project()
  const specs: ImageSpec[] = [
    { relPath: 'cats/Cat_01.jpg', contentHash: H1, width: 64, height: 48, split: 'train', splitOrigin: 'folder' },
    { relPath: 'cats/cat_02.jpg', contentHash: H1, width: 10, height: 10, split: 'val', splitOrigin: 'folder' },
    { relPath: 'dogs/Dog 100%.jpg', width: 100, height: 100 },
    { relPath: 'dogs/a_b.jpg', width: 20, height: 20, split: 'test', splitOrigin: 'user' },
    { relPath: 'dogs/axb.jpg', contentHash: H2, width: null, height: null },
    { relPath: 'broken.jpg', status: 'failed' },
    { relPath: 'gone.jpg', status: 'missing', contentHash: H2 }
  ]
  const ids = p.images(specs)
  const [dog, cat] = await p.classes('dog', 'cat')
  await p.value('labels.assign', { imageIds: [ids[0]!, ids[1]!], classId: cat! })
  await p.value('labels.assign', { imageIds: [ids[2]!, ids[6]!], classId: dog! })
  return { ids, dog: dog!, cat: cat! }
}

type Query = RequestOf<'images.query'>

/** The query's answer as 1-based positions in the seed list, so expectations read like the table above. */
async function query(ids: number[], request: Query): Promise<number[]> {
  const answer = await project().value('images.query', request)
  return answer.ids.map((id) => ids.indexOf(id) + 1)
}

describe('images.query filters', () => {
  it('filters by status, defaulting to usable (ok) images', async () => {
    const { ids } = await seed()
    expect(await query(ids, {})).toEqual([1, 2, 3, 4, 5])
    expect(await query(ids, { status: 'ok' })).toEqual([1, 2, 3, 4, 5])
    expect(await query(ids, { status: 'failed' })).toEqual([6])
    expect(await query(ids, { status: 'missing' })).toEqual([7])
    expect(await query(ids, { status: 'all' })).toEqual([1, 2, 3, 4, 5, 6, 7])
    await project().failure('images.query', { status: 'broken' as never }, 'INVALID_REQUEST')
  })

  it('filters by label: labeled, unlabeled or one class', async () => {
    const { ids, dog, cat } = await seed()
    expect(await query(ids, { label: 'labeled' })).toEqual([1, 2, 3])
    expect(await query(ids, { label: 'unlabeled' })).toEqual([4, 5])
    expect(await query(ids, { label: cat })).toEqual([1, 2])
    expect(await query(ids, { label: dog, status: 'all' })).toEqual([3, 7])
    // A class that does not exist is a wrong id, answered like every other (NOT_FOUND), not an empty list.
    expect((await project().failure('images.query', { label: 9999 }, 'NOT_FOUND')).message).toBe('class 9999 does not exist')
  })

  it('filters by split, with none for images that have no split yet', async () => {
    const { ids } = await seed()
    expect(await query(ids, { split: 'train' })).toEqual([1])
    expect(await query(ids, { split: 'val' })).toEqual([2])
    expect(await query(ids, { split: 'test' })).toEqual([4])
    expect(await query(ids, { split: 'none' })).toEqual([3, 5])
    expect(await query(ids, { split: 'none', label: 'unlabeled' })).toEqual([5])
  })

  it('keeps only exact duplicates: a content hash shared by at least two ok images', async () => {
    const { ids } = await seed()
    expect(await query(ids, { duplicates: true })).toEqual([1, 2])
    // Image 5 shares its hash only with a missing file: not a duplicate, even with every status shown.
    expect(await query(ids, { duplicates: true, status: 'all' })).toEqual([1, 2])
    expect(await query(ids, { duplicates: false })).toEqual([1, 2, 3, 4, 5])
  })

  it('searches the path case-insensitively, treating % and _ literally', async () => {
    const { ids } = await seed()
    expect(await query(ids, { search: 'CAT' })).toEqual([1, 2])
    expect(await query(ids, { search: 'dog 100' })).toEqual([3])
    expect(await query(ids, { search: '%' })).toEqual([3])
    expect(await query(ids, { search: '100%' })).toEqual([3])
    expect(await query(ids, { search: '_' })).toEqual([1, 2, 4])
    expect(await query(ids, { search: 'a_b' })).toEqual([4])
    expect(await query(ids, { search: '\\' })).toEqual([])
    expect(await query(ids, { search: 'gone', status: 'all' })).toEqual([7])
    expect(await query(ids, { search: '' })).toEqual([1, 2, 3, 4, 5])
  })

  // Regression test for a fixed bug (minor): search uses SQLite's LIKE, which folds case for ASCII letters only, so the
  // contract's "case-insensitive part of the file path" does not hold for accented names.
  it('searches non-ASCII names case-insensitively', async () => {
    const p = project()
    const [summer] = p.images([{ relPath: 'Été/Müller.jpg' }])
    expect((await p.value('images.query', { search: 'été' })).ids).toEqual([summer])
    expect((await p.value('images.query', { search: 'MÜLLER' })).ids).toEqual([summer])
  })
})

describe('images.query sorts', () => {
  it('sorts by import order, name (ignoring case), class position (unlabeled last) and pixel count', async () => {
    const { ids } = await seed()
    expect(await query(ids, { sort: 'imported' })).toEqual([1, 2, 3, 4, 5])
    expect(await query(ids, { sort: 'name' })).toEqual([1, 2, 4, 5, 3])
    expect(await query(ids, { sort: 'class' })).toEqual([3, 1, 2, 4, 5])
    expect(await query(ids, { sort: 'size' })).toEqual([5, 2, 4, 1, 3])
  })

  it('sorts imported descending', async () => {
    const { ids } = await seed()
    expect(await query(ids, { sort: 'imported', descending: true })).toEqual([5, 4, 3, 2, 1])
    expect(await query(ids, { sort: 'imported', descending: false })).toEqual([1, 2, 3, 4, 5])
  })

  // Regression test for a fixed bug: image-query.ts appends ' DESC' to the whole ORDER BY list, so it applies only to its last
  // term, the `i.id` tie-breaker: name, class and size "descending" come back in ascending order.
  it('sorts name, size and class descending', async () => {
    const { ids } = await seed()
    expect.soft(await query(ids, { sort: 'name', descending: true })).toEqual([3, 5, 4, 2, 1])
    expect.soft(await query(ids, { sort: 'size', descending: true })).toEqual([3, 1, 4, 2, 5])
    const byClass = await query(ids, { sort: 'class', descending: true })
    expect.soft(byClass.indexOf(1)).toBeLessThan(byClass.indexOf(3)) // cat (position 1) before dog (position 0)
  })
})

describe('images.get', () => {
  it('returns details in the requested order; an unknown id is NOT_FOUND', async () => {
    const { ids, cat } = await seed()
    expect((await project().failure('images.get', { ids: [ids[3]!, 987654] }, 'NOT_FOUND')).message).toBe('image 987654 does not exist')
    const details = await project().value('images.get', { ids: [ids[3]!, ids[0]!, ids[5]!] })
    expect(details.map((d) => d.id)).toEqual([ids[3], ids[0], ids[5]])
    expect(details[0]).toMatchObject({ relPath: 'dogs/a_b.jpg', rootPath: '/photos', status: 'ok', classId: null, labelOrigin: null, split: 'test', splitOrigin: 'user', width: 20, height: 20 })
    expect(details[1]).toMatchObject({ relPath: 'cats/Cat_01.jpg', contentHash: H1, classId: cat, labelOrigin: 'user', split: 'train', splitOrigin: 'folder' })
    expect(details[2]).toMatchObject({ relPath: 'broken.jpg', status: 'failed', errorCode: 'DECODE_ERROR', contentHash: null, width: null })
    expect(await project().value('images.get', { ids: [] })).toEqual([])
  })
})

describe('images.query at scale', () => {
  it('answers the unlabeled filter over 100,000 images with every id', async () => {
    const p = project()
    const db = p.db()
    let started = performance.now()
    const sourceId = db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/big', 1)").run().lastInsertRowid
    const insert = db.prepare(
      `INSERT INTO images (source_id, rel_path, bytes, mtime_ms, content_hash, width, height, imported_at)
       VALUES (?, ?, 1000, 1, ?, 32, 32, 1)`
    )
    db.transaction(() => {
      for (let i = 0; i < 100_000; i++) insert.run(sourceId, `img/${String(i).padStart(6, '0')}.jpg`, fakeHash(i))
    })()
    const insertMs = performance.now() - started
    const [cat] = await p.classes('cat')
    const labeled = Array.from({ length: 1000 }, (_, i) => i * 100 + 1)
    await p.value('labels.assign', { imageIds: labeled, classId: cat! })

    started = performance.now()
    const answer = await p.value('images.query', { label: 'unlabeled' })
    const queryMs = performance.now() - started
    console.log(`100k images: insert ${insertMs.toFixed(0)} ms, unlabeled query ${queryMs.toFixed(0)} ms`)
    expect(answer.ids).toHaveLength(99_000)
    expect(answer.ids[0]).toBe(2)
    expect(answer.ids.at(-1)).toBe(100_000)
    const labeledSet = new Set(labeled)
    expect(answer.ids.some((id) => labeledSet.has(id))).toBe(false)
    expect(new Set(answer.ids).size).toBe(99_000)
  })
})
