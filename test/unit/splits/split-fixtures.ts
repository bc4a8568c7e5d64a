import { createHash } from 'node:crypto'
import type { SplitInput } from '../../../src-main/splits/assign-splits'

/** mulberry32: a tiny seeded PRNG, so every "random" test set is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const hex32 = (value: number): string => (value >>> 0).toString(16).padStart(8, '0')

/** A random 64-bit perceptual hash as 16 hex digits. */
export function randomPhash(random: () => number): string {
  return hex32(Math.floor(random() * 2 ** 32)) + hex32(Math.floor(random() * 2 ** 32))
}

/** `hash` with exactly `count` distinct bits flipped (so at Hamming distance `count`). */
export function flipBits(hash: string, count: number, random: () => number): string {
  let value = BigInt(`0x${hash}`)
  const flipped = new Set<number>()
  while (flipped.size < count) flipped.add(Math.floor(random() * 64))
  for (const bit of flipped) value ^= 1n << BigInt(bit)
  return value.toString(16).padStart(16, '0')
}

/** A stand-in sha256 content hash, unique per name. */
export function contentHashOf(name: string): string {
  return createHash('sha256').update(name).digest('hex')
}

/** Fisher–Yates with a seeded PRNG. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

/** A never-assigned image with random hashes. */
export function freshImage(id: number, classId: number | null, random: () => number): SplitInput {
  return { id, contentHash: contentHashOf(`image-${id}`), phash: randomPhash(random), classId, split: null, splitOrigin: null }
}
