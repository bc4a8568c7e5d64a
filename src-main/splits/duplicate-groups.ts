// Leakage groups: images that are the same picture (byte-identical or visually near-identical) must
// never be split between train and evaluation, or the evaluation measures memory, not learning.

/**
 * Two perceptual hashes (64-bit dHash) at most this many bits apart are treated as the same
 * picture. Re-encodes and small resizes usually land within 0–4 bits; unrelated photos sit near 32.
 */
export const NEAR_DUPLICATE_BITS = 4

export interface HashedItem {
  /** Exact-duplicate key (sha256 hex of the bytes). Equal keys always share a group. */
  contentHash: string
  /** 16 hex digits, or null when unknown; an unparsable value is treated as unknown. */
  phash: string | null
}

export interface DuplicateGroups {
  /** Group index of each input item (same order as the input). */
  groupOf: Int32Array
  /** Input indices in each group, ascending. Groups are numbered by their first item. */
  members: number[][]
  /** Each group's key: the smallest contentHash among its members, so it never depends on input order. */
  keys: string[]
}

const PHASH = /^[0-9a-f]{16}$/i

/** Union-find over item indices, with path halving and union by size: near-linear in practice. */
class DisjointSets {
  private readonly parent: Int32Array
  private readonly size: Int32Array

  constructor(count: number) {
    this.parent = new Int32Array(count)
    this.size = new Int32Array(count).fill(1)
    for (let i = 0; i < count; i++) this.parent[i] = i
  }

  find(item: number): number {
    const parent = this.parent
    while (parent[item] !== item) {
      parent[item] = parent[parent[item]!]!
      item = parent[item]!
    }
    return item
  }

  union(a: number, b: number): void {
    let rootA = this.find(a)
    let rootB = this.find(b)
    if (rootA === rootB) return
    if (this.size[rootA]! < this.size[rootB]!) [rootA, rootB] = [rootB, rootA]
    this.parent[rootB] = rootA
    this.size[rootA]! += this.size[rootB]!
  }
}

/** Set bits in a 32-bit integer (SWAR popcount): no BigInt, so 100k hashes stay fast. */
function popcount32(value: number): number {
  value -= (value >>> 1) & 0x55555555
  value = (value & 0x33333333) + ((value >>> 2) & 0x33333333)
  return (((value + (value >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/** `width` bits (1–32) starting `start` bits from the most significant end of the 64-bit hi:lo. */
function bitsAt(hi: number, lo: number, start: number, width: number): number {
  const end = start + width
  const mask = width >= 32 ? -1 : (1 << width) - 1
  if (end <= 32) return (hi >>> (32 - end)) & mask
  if (start >= 32) return (lo >>> (64 - end)) & mask
  const fromLo = end - 32
  return ((hi << fromLo) | (lo >>> (32 - fromLo))) & mask
}

/**
 * Unions every pair of distinct hashes within `maxDistance` bits without comparing all pairs.
 * Pigeonhole: split the 64 bits into maxDistance + 1 bands; two hashes differing in at most
 * maxDistance bits must agree exactly on at least one band. So only hashes sharing a
 * (band, value) bucket are compared. With ~13-bit bands and random hashes a bucket holds a dozen
 * or so hashes at 100k images; heavily skewed hashes (thousands of near-blank frames that are NOT
 * within range of each other) would make one bucket quadratic — accepted, as real sets rarely do.
 */
function unionNearHashes(hashes: readonly string[], owners: readonly number[], sets: DisjointSets, maxDistance: number): void {
  const count = hashes.length
  const hi = new Int32Array(count)
  const lo = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    hi[i] = Number.parseInt(hashes[i]!.slice(0, 8), 16) | 0
    lo[i] = Number.parseInt(hashes[i]!.slice(8, 16), 16) | 0
  }
  const bands = maxDistance + 1
  for (let band = 0; band < bands; band++) {
    // Bands as even as possible; they are disjoint and cover all 64 bits, as pigeonhole needs.
    const start = Math.floor((band * 64) / bands)
    const width = Math.floor(((band + 1) * 64) / bands) - start
    const buckets = new Map<number, number[]>()
    for (let i = 0; i < count; i++) {
      const value = bitsAt(hi[i]!, lo[i]!, start, width)
      const bucket = buckets.get(value)
      if (bucket) bucket.push(i)
      else buckets.set(value, [i])
    }
    for (const bucket of buckets.values()) {
      for (let x = 1; x < bucket.length; x++) {
        const a = bucket[x]!
        for (let y = 0; y < x; y++) {
          const b = bucket[y]!
          const distance = popcount32(hi[a]! ^ hi[b]!) + popcount32(lo[a]! ^ lo[b]!)
          if (distance <= maxDistance) sets.union(owners[a]!, owners[b]!)
        }
      }
    }
  }
}

/**
 * Groups items so that equal content hashes, and perceptual hashes within `maxDistance` bits, share
 * a group — transitively (A≈B and B≈C put A and C together even if A and C are far apart), because
 * a chain of near-copies leaks just as much as a direct pair.
 */
export function groupDuplicates(items: readonly HashedItem[], maxDistance = NEAR_DUPLICATE_BITS): DuplicateGroups {
  if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > 31) {
    throw new RangeError(`maxDistance must be an integer in [0, 31], got ${maxDistance}`)
  }
  const sets = new DisjointSets(items.length)

  // Exact duplicates, and identical perceptual hashes: one representative each, so the banding
  // below only sees distinct hashes (identical phashes would otherwise crowd one bucket).
  const byContent = new Map<string, number>()
  const byPhash = new Map<string, number>()
  items.forEach((item, index) => {
    const sameContent = byContent.get(item.contentHash)
    if (sameContent === undefined) byContent.set(item.contentHash, index)
    else sets.union(sameContent, index)
    if (item.phash === null || !PHASH.test(item.phash)) return
    const phash = item.phash.toLowerCase()
    const samePhash = byPhash.get(phash)
    if (samePhash === undefined) byPhash.set(phash, index)
    else sets.union(samePhash, index)
  })
  if (maxDistance > 0) unionNearHashes([...byPhash.keys()], [...byPhash.values()], sets, maxDistance)

  const groupOf = new Int32Array(items.length)
  const members: number[][] = []
  const keys: string[] = []
  const groupOfRoot = new Map<number, number>()
  items.forEach((item, index) => {
    const root = sets.find(index)
    let group = groupOfRoot.get(root)
    if (group === undefined) {
      group = members.length
      groupOfRoot.set(root, group)
      members.push([])
      keys.push(item.contentHash)
    } else if (item.contentHash < keys[group]!) {
      keys[group] = item.contentHash
    }
    groupOf[index] = group
    members[group]!.push(index)
  })
  return { groupOf, members, keys }
}
