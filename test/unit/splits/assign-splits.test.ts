import { describe, expect, it } from 'vitest'
import { type SplitAssignment, type SplitInput, assignSplits } from '../../../src-main/splits/assign-splits'
import { groupDuplicates } from '../../../src-main/splits/duplicate-groups'
import { DEFAULT_SPLIT_RATIOS, type ImageSplit, type SplitRatios, seededUniform, validateSplitRatios } from '../../../src-main/splits/split-ratios'
import { expectAppError } from '../../helpers/app-error'
import { contentHashOf, flipBits, freshImage, randomPhash, seededRandom, shuffled } from './split-fixtures'

/** `classes` × `perClass` images, none assigned yet, ids from `firstId`. */
function dataset(classes: number, perClass: number, seed: number, firstId = 1): SplitInput[] {
  const random = seededRandom(seed)
  const images: SplitInput[] = []
  for (let c = 1; c <= classes; c++) for (let n = 0; n < perClass; n++) images.push(freshImage(firstId + images.length, c, random))
  return images
}

/** The images as the database holds them after writing the assignment's changes. */
function applied(images: readonly SplitInput[], assignment: SplitAssignment): SplitInput[] {
  const changed = new Map(assignment.changes.map((change) => [change.id, change.split]))
  return images.map((image) => (changed.has(image.id) ? { ...image, split: changed.get(image.id)!, splitOrigin: 'auto' } : image))
}

/** id → final split. */
const splitsOf = (images: readonly SplitInput[]): Map<number, ImageSplit | null> => new Map(images.map((image) => [image.id, image.split]))

describe('assignSplits: determinism', () => {
  const images = dataset(5, 400, 11)

  it('gives the same answer for the same input', () => {
    expect(assignSplits(images, DEFAULT_SPLIT_RATIOS)).toEqual(assignSplits(images.map((image) => ({ ...image })), DEFAULT_SPLIT_RATIOS))
  })

  it('gives the same answer whatever the input order', () => {
    const first = assignSplits(images, DEFAULT_SPLIT_RATIOS)
    for (const seed of [1, 2, 3]) expect(assignSplits(shuffled(images, seededRandom(seed)), DEFAULT_SPLIT_RATIOS)).toEqual(first)
  })

  it('lists every unassigned image once, and nothing once the changes are written', () => {
    const first = assignSplits(images, DEFAULT_SPLIT_RATIOS)
    expect(first.changes.map((change) => change.id)).toEqual(images.map((image) => image.id))
    expect(assignSplits(applied(images, first), DEFAULT_SPLIT_RATIOS).changes).toEqual([])
  })

  it('never moves an old image when 1,000 new images arrive', () => {
    const before = applied(images, assignSplits(images, DEFAULT_SPLIT_RATIOS))
    const random = seededRandom(12)
    const newcomers = Array.from({ length: 1_000 }, (_, n) => freshImage(10_000 + n, 1 + (n % 6), random))
    const after = applied([...before, ...newcomers], assignSplits([...before, ...newcomers], DEFAULT_SPLIT_RATIOS))
    const old = splitsOf(before)
    const moved = after.filter((image) => old.has(image.id) && old.get(image.id) !== image.split)
    expect(moved).toEqual([])
    expect(after.every((image) => image.split !== null)).toBe(true)
  })

  it('rewrites a row whose split is auto but stale, or that has no split', () => {
    const [image] = images
    const draw = assignSplits([image!], DEFAULT_SPLIT_RATIOS).changes[0]!.split
    const stale: ImageSplit = draw === 'train' ? 'test' : 'train'
    expect(assignSplits([{ ...image!, split: stale, splitOrigin: 'auto' }], DEFAULT_SPLIT_RATIOS).changes).toEqual([{ id: image!.id, split: draw }])
    expect(assignSplits([{ ...image!, split: draw, splitOrigin: 'auto' }], DEFAULT_SPLIT_RATIOS).changes).toEqual([])
  })
})

describe('assignSplits: stratification', () => {
  it('keeps every class within ±4 points of each ratio (10 classes × 1,000 images, 0.8/0.1/0.1)', () => {
    const { counts } = assignSplits(dataset(10, 1_000, 21), { train: 0.8, val: 0.1, test: 0.1 })
    expect(counts.map((row) => row.classId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    for (const row of counts) {
      const total = row.train + row.val + row.test
      expect(total).toBe(1_000)
      expect(Math.abs(row.train / total - 0.8)).toBeLessThanOrEqual(0.04)
      expect(Math.abs(row.val / total - 0.1)).toBeLessThanOrEqual(0.04)
      expect(Math.abs(row.test / total - 0.1)).toBeLessThanOrEqual(0.04)
    }
  })

  it('gives every tiny class (3 to 5 images) at least one val and one test image', () => {
    // Forty small classes: by chance alone most would have no val or test image at 0.8/0.1/0.1.
    const random = seededRandom(22)
    const images = Array.from({ length: 160 }, (_, n) => freshImage(n + 1, 1 + Math.floor(n / 4), random))
    images.push(...Array.from({ length: 5 }, (_, n) => freshImage(500 + n, 99, random)))
    const { counts } = assignSplits(images, DEFAULT_SPLIT_RATIOS)
    expect(counts).toHaveLength(41)
    for (const row of counts) {
      expect(row.val, `class ${row.classId}`).toBeGreaterThanOrEqual(1)
      expect(row.test, `class ${row.classId}`).toBeGreaterThanOrEqual(1)
      expect(row.train, `class ${row.classId}`).toBeGreaterThanOrEqual(1)
    }
  })

  it('does not force a split whose ratio is 0, nor a class with fewer than 3 groups', () => {
    const random = seededRandom(23)
    const images = Array.from({ length: 40 }, (_, n) => freshImage(n + 1, 1 + Math.floor(n / 4), random))
    const noVal = assignSplits(images, { train: 0.9, val: 0, test: 0.1 })
    expect(noVal.counts.every((row) => row.val === 0 && row.test >= 1)).toBe(true)
    const pair = [freshImage(100, 7, random), freshImage(101, 7, random)]
    const draws = pair.map((image) => seededUniform(image.contentHash!) < 0.8)
    const { counts } = assignSplits(pair, DEFAULT_SPLIT_RATIOS)
    expect(counts[0]!.train).toBe(draws.filter(Boolean).length)
  })

  it('counts unlabeled images in their own row, last', () => {
    const random = seededRandom(24)
    const { counts } = assignSplits([freshImage(1, null, random), freshImage(2, 3, random)], DEFAULT_SPLIT_RATIOS)
    expect(counts.map((row) => row.classId)).toEqual([3, null])
  })
})

describe('assignSplits: duplicate groups', () => {
  it('puts every exact and near-duplicate group entirely in one split', () => {
    const random = seededRandom(31)
    const images: SplitInput[] = []
    for (let base = 0; base < 600; base++) {
      const phash = randomPhash(random)
      const classId = 1 + (base % 3)
      const copies = 1 + (base % 4)
      for (let n = 0; n < copies; n++) {
        const id = images.length + 1
        // Copy 1 is byte-identical to the original; the others are re-encodes a few bits away.
        const contentHash = n === 1 ? contentHashOf(`base-${base}-0`) : contentHashOf(`base-${base}-${n}`)
        images.push({ id, contentHash, phash: n === 0 ? phash : flipBits(phash, n, random), classId, split: null, splitOrigin: null })
      }
    }
    const final = applied(images, assignSplits(images, DEFAULT_SPLIT_RATIOS))
    const { members } = groupDuplicates(images.map((image) => ({ contentHash: image.contentHash!, phash: image.phash })))
    expect(members).toHaveLength(600)
    for (const group of members) expect(new Set(group.map((index) => final[index]!.split)).size).toBe(1)
    // The groups are spread, not all dumped in one split.
    expect(new Set(final.map((image) => image.split)).size).toBe(3)
  })

  it('keeps folder and user splits and pulls their duplicates along', () => {
    const random = seededRandom(32)
    const phash = randomPhash(random)
    const other = randomPhash(random)
    const images: SplitInput[] = [
      { id: 1, contentHash: contentHashOf('a'), phash, classId: 1, split: 'test', splitOrigin: 'folder' },
      { id: 2, contentHash: contentHashOf('a'), phash, classId: 1, split: null, splitOrigin: null },
      { id: 3, contentHash: contentHashOf('a2'), phash: flipBits(phash, 3, random), classId: 2, split: 'train', splitOrigin: 'auto' },
      { id: 4, contentHash: contentHashOf('b'), phash: other, classId: 1, split: 'val', splitOrigin: 'user' },
      { id: 5, contentHash: contentHashOf('b2'), phash: flipBits(other, 1, random), classId: 1, split: 'test', splitOrigin: 'auto' }
    ]
    const result = assignSplits(images, DEFAULT_SPLIT_RATIOS)
    expect(result.changes).toEqual([
      { id: 2, split: 'test' },
      { id: 3, split: 'test' },
      { id: 5, split: 'val' }
    ])
    expect(result.conflictingGroups).toBe(0)
  })

  it('keeps each fixed split when a group disagrees, and sends its auto images to the majority', () => {
    const random = seededRandom(33)
    const phash = randomPhash(random)
    const near = (n: number): string => flipBits(phash, n, random)
    const images: SplitInput[] = [
      { id: 1, contentHash: contentHashOf('1'), phash, classId: 1, split: 'val', splitOrigin: 'folder' },
      { id: 2, contentHash: contentHashOf('2'), phash: near(1), classId: 1, split: 'test', splitOrigin: 'user' },
      { id: 3, contentHash: contentHashOf('3'), phash: near(2), classId: 1, split: 'test', splitOrigin: 'folder' },
      { id: 4, contentHash: contentHashOf('4'), phash: near(3), classId: 1, split: null, splitOrigin: null }
    ]
    const result = assignSplits(images, DEFAULT_SPLIT_RATIOS)
    expect(result.changes).toEqual([{ id: 4, split: 'test' }])
    expect(result.conflictingGroups).toBe(1)
    expect(result.counts).toEqual([{ classId: 1, train: 0, val: 1, test: 3 }])
    // A tie goes to train, then val, then test.
    const tie = assignSplits([{ ...images[0]!, split: 'test' }, { ...images[1]!, split: 'train' }, images[3]!], DEFAULT_SPLIT_RATIOS)
    expect(tie.changes).toEqual([{ id: 4, split: 'train' }])
  })
})

describe('split ratios', () => {
  it.each<[string, unknown]>([
    ['a sum above 1', { train: 0.8, val: 0.2, test: 0.1 }],
    ['a sum below 1', { train: 0.5, val: 0.1, test: 0.1 }],
    ['a negative ratio', { train: 1.1, val: -0.1, test: 0 }],
    ['a ratio above 1', { train: 1.5, val: 0, test: -0.5 }],
    ['NaN', { train: Number.NaN, val: 0.5, test: 0.5 }],
    ['a missing ratio', { train: 0.9, val: 0.1 }],
    ['a string', { train: '0.8', val: 0.1, test: 0.1 }],
    ['null', null]
  ])('rejects %s with INVALID_REQUEST', (_, ratios) => {
    expectAppError(() => validateSplitRatios(ratios), 'INVALID_REQUEST')
    expectAppError(() => assignSplits([], ratios as SplitRatios), 'INVALID_REQUEST')
  })

  it('accepts decimal rounding within 1e-6 and answers only the three ratios', () => {
    expect(validateSplitRatios({ train: 0.7, val: 0.2, test: 0.1, extra: 1 })).toEqual({ train: 0.7, val: 0.2, test: 0.1 })
    expect(validateSplitRatios({ train: 0.3333333, val: 0.3333333, test: 0.3333333 })).toBeTruthy()
  })

  it('puts everything in one split when its ratio is 1', () => {
    const { counts } = assignSplits(dataset(3, 50, 41), { train: 0, val: 0, test: 1 })
    expect(counts.every((row) => row.test === 50)).toBe(true)
  })
})
