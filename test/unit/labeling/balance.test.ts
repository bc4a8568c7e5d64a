import { describe, expect, it } from 'vitest'
import type { BalanceReport } from '../../../src-main/contract/types'
import { useLabelingProject, type ImageSpec } from '../../helpers/labeling-project'

// balance.report, splits.assign, splits.setRatios and images.setSplit, through the real services.

const project = useLabelingProject()

/** `count` ok images labeled `classId` (each with its own content hash), with an optional split. */
async function labeled(classId: number, count: number, spec: ImageSpec = {}): Promise<number[]> {
  const ids = project().images(Array.from({ length: count }, () => spec))
  await project().value('labels.assign', { imageIds: ids, classId })
  return ids
}

const row = (report: BalanceReport, name: string) => report.classes.find((c) => c.name === name)
const splitRows = () =>
  project().db().prepare('SELECT split, split_origin AS origin, count(*) AS n FROM images GROUP BY split, split_origin ORDER BY split, split_origin').all()

describe('balance.report', () => {
  it('counts usable labeled images per class × split, plus none and unlabeled', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog', 'bird')
    await labeled(cat!, 3, { split: 'train' })
    await labeled(cat!, 2, { split: 'val' })
    await labeled(cat!, 1)
    await labeled(dog!, 2)
    await labeled(cat!, 1, { status: 'failed' })
    p.images([{}, {}, {}, {}, { status: 'failed' }, { status: 'missing' }])

    const report = await p.value('balance.report', {})
    expect(report.classes).toEqual([
      { classId: cat, name: 'cat', color: expect.any(String), train: 3, val: 2, test: 0, none: 1, total: 6 },
      { classId: dog, name: 'dog', color: expect.any(String), train: 0, val: 0, test: 0, none: 2, total: 2 },
      { classId: expect.any(Number), name: 'bird', color: expect.any(String), train: 0, val: 0, test: 0, none: 0, total: 0 }
    ])
    expect(report.unlabeled).toBe(4)
    expect(report.imbalanceRatio).toBe(3) // 6 ÷ 2, not above 3:1: no imbalance warning
    expect(report.ratios).toEqual({ train: 0.8, val: 0.1, test: 0.1 })
    expect(report.warnings).toEqual([
      '“cat” has 3 training images; at least 20 are needed to learn it.',
      '“cat” has 2 validation images; with fewer than 5 its accuracy is guesswork. At 10 % validation that is all it gets: raise Validation % or add images.',
      '“dog” has 0 training images; at least 20 are needed to learn it.',
      '“dog” has 0 validation images; with fewer than 5 its accuracy is guesswork. At 10 % validation that is all it gets: raise Validation % or add images.',
      '4 images are unlabeled and will not be used for training.'
    ])
  })

  it('has no imbalance ratio with fewer than two non-empty classes, and warns above 3:1', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    expect((await p.value('balance.report', {})).imbalanceRatio).toBeNull()
    await labeled(cat!, 10)
    const one = await p.value('balance.report', {})
    expect(one.imbalanceRatio).toBeNull()
    // Before any split exists every labeled image counts as training: 10 < 20.
    expect(one.warnings).toEqual(['“cat” has 10 training images; at least 20 are needed to learn it.'])

    await labeled(dog!, 3)
    const skewed = await p.value('balance.report', {})
    expect(skewed.imbalanceRatio).toBe(3.33)
    expect(skewed.warnings.at(-1)).toMatch(/^The largest class is 3\.33× the smallest\./)
    await labeled(dog!, 1)
    const even = await p.value('balance.report', {})
    expect(even.imbalanceRatio).toBe(2.5)
    expect(even.warnings.some((w) => w.startsWith('The largest class'))).toBe(false)
  })

  it('warns only for the class under 20 training or 5 validation images once splits exist', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    const cats = await labeled(cat!, 25)
    const dogs = await labeled(dog!, 30)
    await p.value('images.setSplit', { imageIds: cats.slice(0, 22), split: 'train' })
    await p.value('images.setSplit', { imageIds: cats.slice(22), split: 'val' })
    await p.value('images.setSplit', { imageIds: dogs.slice(0, 20), split: 'train' })
    await p.value('images.setSplit', { imageIds: dogs.slice(20, 26), split: 'val' })
    const report = await p.value('images.setSplit', { imageIds: dogs.slice(26), split: 'test' })
    expect(row(report, 'cat')).toMatchObject({ train: 22, val: 3, test: 0, none: 0, total: 25 })
    expect(row(report, 'dog')).toMatchObject({ train: 20, val: 6, test: 4, none: 0, total: 30 })
    expect(report.imbalanceRatio).toBe(1.2)
    expect(report.warnings).toEqual(['“cat” has 3 validation images; with fewer than 5 its accuracy is guesswork. At 10 % validation that is all it gets: raise Validation % or add images.'])
  })

  it('after splits.assign, gives every usable image a split and warns from the real split counts', async () => {
    const p = project()
    const [cat, dog] = await p.classes('cat', 'dog')
    await labeled(cat!, 40)
    await labeled(dog!, 8)
    p.images(2)
    const before = await p.value('balance.report', {})
    expect(before.warnings).toEqual([
      '“dog” has 8 training images; at least 20 are needed to learn it.',
      'The largest class is 5× the smallest. Training will weight classes (or oversample the small ones) so the model does not just learn to say the common class.',
      '2 images are unlabeled and will not be used for training.'
    ])

    p.events.length = 0
    const report = await p.value('splits.assign', {})
    expect(p.events).toEqual([{ name: 'library.changed', payload: { reason: 'splits' } }])
    expect(p.count('images', "split IS NULL OR split_origin <> 'auto'")).toBe(0)
    for (const c of report.classes) {
      expect(c.none, c.name).toBe(0)
      expect(c.train + c.val + c.test, c.name).toBe(c.total)
      const plural = (n: number) => (n === 1 ? '' : 's')
      const trainWarning = report.warnings.some((w) => w.startsWith(`“${c.name}” has ${c.train} training image${plural(c.train)};`))
      const valWarning = report.warnings.some((w) => w.startsWith(`“${c.name}” has ${c.val} validation image${plural(c.val)};`))
      expect(trainWarning, `${c.name} train ${c.train}`).toBe(c.train < 20)
      expect(valWarning, `${c.name} val ${c.val}`).toBe(c.val < 5)
    }
    expect(row(report, 'dog')!.train).toBeLessThan(20)
    expect(row(report, 'cat')!.train).toBeGreaterThanOrEqual(20)
  })
})

describe('splits.setRatios and images.setSplit', () => {
  it('refuses ratios that do not add up to 1 (INVALID_REQUEST) and stores nothing', async () => {
    const p = project()
    const settings = () => p.db().prepare('SELECT settings FROM project').pluck().get()
    const before = settings()
    await p.failure('splits.setRatios', { train: 0.5, val: 0.3, test: 0.3 }, 'INVALID_REQUEST')
    await p.failure('splits.setRatios', { train: 0.7, val: 0.1, test: 0.1 }, 'INVALID_REQUEST')
    await p.failure('splits.setRatios', { train: 1.2, val: -0.1, test: -0.1 }, 'INVALID_REQUEST')
    expect(settings()).toBe(before)
    expect((await p.value('balance.report', {})).ratios).toEqual({ train: 0.8, val: 0.1, test: 0.1 })
  })

  it('applies valid ratios: stored in the project, used for the automatic splits, kept after reopening', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    await labeled(cat!, 30)
    await labeled(cat!, 2, { split: 'val' })
    const allTrain = await p.value('splits.setRatios', { train: 1, val: 0, test: 0 })
    expect(allTrain.ratios).toEqual({ train: 1, val: 0, test: 0 })
    // Folder splits are the import's answer and stay; every automatic one follows the ratios.
    expect(row(allTrain, 'cat')).toMatchObject({ train: 30, val: 2, test: 0, none: 0 })

    const decimal = await p.value('splits.setRatios', { train: 0.7, val: 0.2, test: 0.1 })
    expect(decimal.ratios).toEqual({ train: 0.7, val: 0.2, test: 0.1 })
    expect(JSON.parse(p.db().prepare('SELECT settings FROM project').pluck().get() as string)).toMatchObject({
      splitRatios: { train: 0.7, val: 0.2, test: 0.1 }
    })
    await p.restart()
    expect((await p.value('balance.report', {})).ratios).toEqual({ train: 0.7, val: 0.2, test: 0.1 })
  })

  it('overrides an image’s split (origin user) through re-assignment, and null returns it to automatic', async () => {
    const p = project()
    const [cat] = await p.classes('cat')
    const ids = await labeled(cat!, 10)
    await p.value('splits.setRatios', { train: 1, val: 0, test: 0 })
    const origin = (id: number) => p.db().prepare('SELECT split, split_origin AS origin FROM images WHERE id = ?').get(id)

    const overridden = await p.value('images.setSplit', { imageIds: [ids[0]!, ids[1]!], split: 'test' })
    expect(origin(ids[0]!)).toEqual({ split: 'test', origin: 'user' })
    expect(row(overridden, 'cat')).toMatchObject({ train: 8, val: 0, test: 2 })
    await p.value('splits.assign', {})
    expect(origin(ids[1]!)).toEqual({ split: 'test', origin: 'user' })

    const cleared = await p.value('images.setSplit', { imageIds: [ids[0]!], split: null })
    expect(origin(ids[0]!)).toEqual({ split: 'train', origin: 'auto' })
    expect(row(cleared, 'cat')).toMatchObject({ train: 9, test: 1 })
    expect(splitRows()).toEqual([
      { split: 'test', origin: 'user', n: 1 },
      { split: 'train', origin: 'auto', n: 9 }
    ])
    await p.failure('images.setSplit', { imageIds: [ids[0]!], split: 'holdout' as never }, 'INVALID_REQUEST')
  })
})
