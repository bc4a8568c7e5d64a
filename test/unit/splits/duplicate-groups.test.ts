import { describe, expect, it } from 'vitest'
import { hammingDistance } from '../../../src-main/import/perceptual-hash'
import { type HashedItem, NEAR_DUPLICATE_BITS, groupDuplicates } from '../../../src-main/splits/duplicate-groups'
import { contentHashOf, flipBits, randomPhash, seededRandom, shuffled } from './split-fixtures'

const item = (name: string, phash: string | null): HashedItem => ({ contentHash: contentHashOf(name), phash })

/** Whether items i and j landed in the same group. */
const together = (groupOf: Int32Array, i: number, j: number): boolean => groupOf[i] === groupOf[j]

describe('groupDuplicates', () => {
  it('puts exact duplicates (same content hash) together, whatever their perceptual hashes', () => {
    const random = seededRandom(1)
    const items: HashedItem[] = [
      { contentHash: contentHashOf('a'), phash: randomPhash(random) },
      { contentHash: contentHashOf('b'), phash: randomPhash(random) },
      { contentHash: contentHashOf('a'), phash: null },
      { contentHash: contentHashOf('a'), phash: randomPhash(random) }
    ]
    const { groupOf, members, keys } = groupDuplicates(items)
    expect(members).toEqual([[0, 2, 3], [1]])
    expect(together(groupOf, 0, 3)).toBe(true)
    expect(keys[groupOf[0]!]).toBe(contentHashOf('a'))
  })

  it('puts near duplicates (1 to 4 bits flipped) with their original, and keeps originals apart', () => {
    const random = seededRandom(2)
    const items: HashedItem[] = []
    for (let base = 0; base < 200; base++) {
      const phash = randomPhash(random)
      items.push(item(`base-${base}`, phash))
      for (let bits = 1; bits <= NEAR_DUPLICATE_BITS; bits++) items.push(item(`base-${base}-flip-${bits}`, flipBits(phash, bits, random)))
    }
    const { groupOf, members } = groupDuplicates(items)
    expect(members).toHaveLength(200)
    for (const group of members) {
      expect(group).toHaveLength(NEAR_DUPLICATE_BITS + 1)
      for (const index of group) expect(together(groupOf, group[0]!, index)).toBe(true)
    }
  })

  it('keeps hashes 10 or more bits apart in separate groups', () => {
    const random = seededRandom(3)
    const items: HashedItem[] = []
    for (let pair = 0; pair < 300; pair++) {
      const phash = randomPhash(random)
      items.push(item(`p-${pair}`, phash), item(`q-${pair}`, flipBits(phash, 10 + (pair % 20), random)))
    }
    const { members } = groupDuplicates(items)
    expect(members).toHaveLength(items.length)
  })

  it('is transitive: a chain of near copies is one group even when its ends are far apart', () => {
    const random = seededRandom(4)
    const a = randomPhash(random)
    const b = flipBits(a, 3, random)
    let c = flipBits(b, 3, random)
    while (hammingDistance(a, c) <= NEAR_DUPLICATE_BITS) c = flipBits(b, 3, random)
    expect(hammingDistance(a, b)).toBeLessThanOrEqual(NEAR_DUPLICATE_BITS)
    expect(hammingDistance(b, c)).toBeLessThanOrEqual(NEAR_DUPLICATE_BITS)
    expect(groupDuplicates([item('a', a), item('c', c)]).members).toHaveLength(2)
    expect(groupDuplicates([item('a', a), item('b', b), item('c', c)]).members).toEqual([[0, 1, 2]])
  })

  it('keys each group by its smallest content hash, whatever the input order', () => {
    const random = seededRandom(5)
    const phash = randomPhash(random)
    const items = ['x', 'y', 'z', 'w'].map((name, i) => item(name, i === 0 ? phash : flipBits(phash, 2, random)))
    const smallest = items.map((entry) => entry.contentHash).sort()[0]
    for (let attempt = 0; attempt < 5; attempt++) {
      const { keys } = groupDuplicates(shuffled(items, random))
      expect(keys).toEqual([smallest])
    }
  })

  it('ignores missing or malformed perceptual hashes and accepts upper-case hex', () => {
    const items: HashedItem[] = [
      item('a', null),
      item('b', null),
      item('c', 'not-a-hash'),
      item('d', 'not-a-hash'),
      item('e', '00000000000000FF'),
      item('f', '00000000000000fe')
    ]
    expect(groupDuplicates(items).members).toEqual([[0], [1], [2], [3], [4, 5]])
  })

  it.each([1, 2, NEAR_DUPLICATE_BITS, 8])('finds exactly the groups an all-pairs comparison finds (≤ %i bits)', (maxDistance) => {
    const random = seededRandom(6 + maxDistance)
    const items: HashedItem[] = []
    // Clusters whose members wander up to maxDistance + 2 bits from the centre: some pairs are in range, some not.
    for (let cluster = 0; cluster < 120; cluster++) {
      const centre = randomPhash(random)
      for (let n = 0; n < 6; n++) {
        items.push(item(`c${cluster}-${n}`, flipBits(centre, Math.floor(random() * (maxDistance + 3)), random)))
      }
    }
    // Oracle: connected components of the all-pairs "within range" graph.
    const parent = items.map((_, i) => i)
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)))
    for (let i = 0; i < items.length; i++) {
      for (let j = 0; j < i; j++) {
        if (hammingDistance(items[i]!.phash!, items[j]!.phash!) <= maxDistance) parent[find(i)] = find(j)
      }
    }
    const { groupOf, members } = groupDuplicates(items, maxDistance)
    expect(members.length).toBeGreaterThan(120)
    const disagreements: string[] = []
    for (let i = 0; i < items.length; i++) {
      for (let j = 0; j < i; j++) if (together(groupOf, i, j) !== (find(i) === find(j))) disagreements.push(`${i}~${j}`)
    }
    expect(disagreements).toEqual([])
  })

  it('groups 100,000 random hashes without comparing all pairs', () => {
    const random = seededRandom(7)
    const items: HashedItem[] = []
    for (let i = 0; i < 100_000; i++) items.push({ contentHash: contentHashOf(`big-${i}`), phash: randomPhash(random) })
    // A thousand near copies too, so the buckets have real work.
    for (let i = 0; i < 1_000; i++) items.push({ contentHash: contentHashOf(`copy-${i}`), phash: flipBits(items[i * 50]!.phash!, 1 + (i % 4), random) })
    const started = performance.now()
    const { members, groupOf } = groupDuplicates(items)
    const elapsed = performance.now() - started
    console.log(`grouped ${items.length} hashes into ${members.length} groups in ${elapsed.toFixed(0)} ms`)
    expect(members).toHaveLength(100_000)
    for (let i = 0; i < 1_000; i++) expect(together(groupOf, i * 50, 100_000 + i)).toBe(true)
  })

  it('rejects a distance the banding cannot handle', () => {
    expect(() => groupDuplicates([], -1)).toThrow(RangeError)
    expect(() => groupDuplicates([], 1.5)).toThrow(RangeError)
    expect(() => groupDuplicates([], 40)).toThrow(RangeError)
  })
})
