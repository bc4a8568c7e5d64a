import { describe, expect, it } from 'vitest'
import type { BalanceReport } from '../../../src-main/contract/types'
import { applySplits } from '../../../src-main/splits/apply-splits'
import { fakeHash, useLabelingProject, type ImageSpec } from '../../helpers/labeling-project'

// Issue 14, finding 2, through the real services on a real project file: a folder import with train/
// and test/ only has no validation images; "Assign splits" (splits.preview → splits.apply) must reach
// the validation ratio per class by moving train images to val — never test images, never a user's own
// choice, duplicate groups whole — show exactly that before applying, and be undoable in one step.

const project = useLabelingProject()

const CLASSES = ['bluebell', 'buttercup', 'crocus', 'daffodil']
const RATIOS = { train: 0.8, val: 0.1, test: 0.1 }

interface Row {
  id: number
  split: string | null
  origin: string | null
  classId: number | null
  hash: string
}

const rows = (): Row[] =>
  project()
    .db()
    .prepare(
      `SELECT i.id, i.split, i.split_origin AS origin, l.class_id AS classId, i.content_hash AS hash
       FROM images i LEFT JOIN labels l ON l.image_id = i.id ORDER BY i.id`
    )
    .all() as Row[]

/** Per class: 60 images from a train/ folder and 12 from test/, like the flower photos of the report. */
async function trainAndTestFolders(): Promise<{ classIds: number[]; testIds: Set<number> }> {
  const p = project()
  const classIds = await p.classes(...CLASSES)
  const testIds = new Set<number>()
  for (const [index, classId] of classIds.entries()) {
    const spec = (split: 'train' | 'test', n: number): ImageSpec => ({ relPath: `${split}/${CLASSES[index]}/${n}.jpg`, split, splitOrigin: 'folder' })
    const train = p.images(Array.from({ length: 60 }, (_, n) => spec('train', n)))
    const test = p.images(Array.from({ length: 12 }, (_, n) => spec('test', n)))
    for (const id of test) testIds.add(id)
    await p.value('labels.assign', { imageIds: [...train, ...test], classId })
  }
  return { classIds, testIds }
}

const row = (report: BalanceReport, name: string) => report.classes.find((c) => c.name === name)!

describe('Assign splits reaches the validation ratio per class', () => {
  it('moves train images to val (not test), previews exactly what it applies, and warns in one grouped line before', async () => {
    const p = project()
    const { testIds } = await trainAndTestFolders()
    const before = await p.value('balance.report', {})
    // Four classes with no validation image: one line naming them, not four.
    expect(before.warnings.filter((w) => w.includes('validation image'))).toEqual([
      '4 classes have too few validation images (“bluebell” 0, “buttercup” 0, “crocus” 0, “daffodil” 0); with fewer than 5 a class\'s accuracy is guesswork. Assign splits moves training images to validation.'
    ])
    expect(before.undo).toBeNull()

    // The seeded assignment alone (what the button did before) can place nothing: every split is fixed.
    expect(applySplits(p.db(), RATIOS).changed).toBe(0)

    const stored = JSON.stringify(rows())
    const preview = await p.value('splits.preview', RATIOS)
    expect(JSON.stringify(rows())).toBe(stored) // a preview writes nothing
    expect(preview.classes.map((c) => c.name)).toEqual(CLASSES)
    for (const c of preview.classes) {
      expect(c.before).toEqual({ train: 60, val: 0, test: 12, none: 0 })
      // 72 images × 10 % = 7 validation images, all from train; test untouched.
      expect(c.after).toEqual({ train: 53, val: 7, test: 12 })
      expect(c.moving).toEqual({ train: 0, val: 7, test: 0 })
    }
    expect(preview.toppedUp).toBe(28)
    expect(preview.changes).toBe(28)

    const report = await p.value('splits.apply', RATIOS)
    for (const name of CLASSES) expect(row(report, name)).toMatchObject({ train: 53, val: 7, test: 12, none: 0 })
    expect(report.warnings.some((w) => w.includes('validation image'))).toBe(false)
    expect(report.undo).toMatchObject({ moved: 28, at: expect.any(Number) })
    for (const image of rows()) {
      if (testIds.has(image.id)) expect(image).toMatchObject({ split: 'test', origin: 'folder' })
      // Moved images are the user's choice now: the seeded pass before each run and a rescan keep them.
      if (image.split === 'val') expect(image.origin).toBe('user')
    }
    expect(applySplits(p.db(), RATIOS).changed).toBe(0)
    expect(await p.value('splits.preview', RATIOS)).toMatchObject({ changes: 0, toppedUp: 0 })
  })

  it('never moves a user choice or a duplicate of a test image, and moves duplicate groups whole', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    // 40 train images; 10 of them are 5 pairs of exact copies; 5 more are copies of test images.
    const specs: ImageSpec[] = Array.from({ length: 40 }, (_, n) => ({
      relPath: `train/cat/${n}.jpg`,
      split: 'train',
      splitOrigin: 'folder',
      contentHash: n < 10 ? fakeHash(`pair-${Math.floor(n / 2)}`) : n < 15 ? fakeHash(`test-copy-${n}`) : fakeHash(`train-${n}`)
    }))
    const train = p.images(specs)
    const test = p.images(Array.from({ length: 5 }, (_, n) => ({ relPath: `test/cat/${n}.jpg`, split: 'test' as const, contentHash: fakeHash(`test-copy-${n + 10}`) })))
    const chosen = p.images(Array.from({ length: 10 }, (_, n) => ({ relPath: `mine/${n}.jpg`, split: 'train' as const, splitOrigin: 'user' as const })))
    await p.value('labels.assign', { imageIds: [...train, ...test, ...chosen], classId: cat! })

    await p.value('splits.apply', { train: 0.6, val: 0.3, test: 0.1 })
    const after = new Map(rows().map((image) => [image.id, image]))
    for (const id of chosen) expect(after.get(id)).toMatchObject({ split: 'train', origin: 'user' })
    for (const id of test) expect(after.get(id)!.split).toBe('test')
    for (const id of train.slice(10, 15)) expect(after.get(id)!.split, 'a copy of a test image stays with it').not.toBe('val')
    for (let pair = 0; pair < 5; pair++) expect(after.get(train[2 * pair]!)!.split).toBe(after.get(train[2 * pair + 1]!)!.split)
    // 55 images × 30 % ≈ 17 (a pair may overshoot by one, never by more than it would fall short).
    const val = [...after.values()].filter((image) => image.split === 'val').length
    expect(Math.abs(val - 16.5)).toBeLessThanOrEqual(1.5)
  })

  it('undo puts every row and the ratios back in one step, keeping what the user changed since', async () => {
    const p = project()
    await trainAndTestFolders()
    const original = rows()
    await p.value('splits.apply', { train: 0.7, val: 0.2, test: 0.1 })
    const moved = rows().filter((image, index) => image.split !== original[index]!.split)
    expect(moved.length).toBeGreaterThan(0)
    // The user sets one of the moved images back to train by hand: undo must not take that from them.
    const mine = moved[0]!.id
    await p.value('images.setSplit', { imageIds: [mine], split: 'test' })

    const outcome = await p.value('splits.undo', {})
    expect(outcome).toMatchObject({ restored: moved.length - 1, kept: 1 })
    expect(outcome.report.undo).toBeNull()
    expect(outcome.report.ratios).toEqual(RATIOS) // none were stored before: the defaults again
    const restored = rows()
    for (const [index, image] of restored.entries()) {
      if (image.id === mine) expect(image).toMatchObject({ split: 'test', origin: 'user' })
      else expect(image).toEqual(original[index])
    }
    await p.failure('splits.undo', {}, 'INVALID_REQUEST')
  })

  it('keeps the undo step across a restart, and says "1 validation image" in the singular', async () => {
    const p = project()
    const [daisy] = await p.classes('daisy')
    const ids = p.images([
      ...Array.from({ length: 30 }, () => ({ split: 'train' as const })),
      { split: 'val' as const }
    ])
    await p.value('labels.assign', { imageIds: ids, classId: daisy! })
    expect((await p.value('balance.report', {})).warnings).toContain('“daisy” has 1 validation image; with fewer than 5 its accuracy is guesswork.')
    await p.value('splits.apply', RATIOS)
    await p.restart()
    expect((await p.value('balance.report', {})).undo).toMatchObject({ moved: 2 })
    expect((await p.value('splits.undo', {})).restored).toBe(2)
  })
})
