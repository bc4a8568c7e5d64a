// Seeded randomness for the data pipeline. Training must be reproducible: the same seed gives the
// same epoch orders and the same augmentations, whatever the decode concurrency or timing.

/** A source of uniform numbers in [0, 1), like Math.random but seeded. */
export type Random = () => number

/**
 * mulberry32: 32 bits of state, fast, and statistically fine for shuffles and augmentation (not
 * for cryptography). Any number is a valid seed; only its low 32 bits matter.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * One well-mixed 32-bit seed from several numbers (e.g. run seed, epoch, position), so every
 * example gets its own independent stream. Deriving per-example streams, rather than drawing from
 * one shared generator, is what keeps results independent of the order concurrent decodes finish.
 */
export function mixSeed(...parts: number[]): number {
  let hash = 0x811c9dc5
  for (const part of parts) {
    // murmur3's finaliser on each part, folded in; integers and fractions alike are accepted.
    let k = Math.imul((part >>> 0) ^ Math.trunc(part / 4294967296), 0xcc9e2d51)
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
    hash ^= k
    hash = Math.imul((hash << 13) | (hash >>> 19), 5) + 0xe6546b64
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  return (hash ^ (hash >>> 16)) >>> 0
}

/** A uniform number in [-range, range]. */
export function symmetric(random: Random, range: number): number {
  return (random() * 2 - 1) * range
}
