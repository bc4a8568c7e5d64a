import { createHash } from 'node:crypto'
import { AppError } from '../core/errors'
import type { ImageSplit } from '../contract/types'

export type { ImageSplit }
export type { SplitOrigin } from '../db/queries/splits'

/** In the order the uniform draw fills them: [0, train) → train, then val, then test. */
export const SPLITS: readonly ImageSplit[] = ['train', 'val', 'test']

export interface SplitRatios {
  train: number
  val: number
  test: number
}

export const DEFAULT_SPLIT_RATIOS: Readonly<SplitRatios> = Object.freeze({ train: 0.8, val: 0.1, test: 0.1 })

/** Rounding slack for ratios typed as decimals (0.7 + 0.2 + 0.1 is not exactly 1 in binary). */
const SUM_TOLERANCE = 1e-6

/**
 * The ratios, checked: each a number in [0, 1] and together 1 (± 1e-6). Throws INVALID_REQUEST with
 * a sentence the user can act on. The answer is a fresh plain object with exactly the three keys.
 */
export function validateSplitRatios(ratios: unknown): SplitRatios {
  if (typeof ratios !== 'object' || ratios === null) {
    throw new AppError('INVALID_REQUEST', 'split ratios must be an object {train, val, test}')
  }
  const record = ratios as Record<string, unknown>
  for (const split of SPLITS) {
    const value = record[split]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new AppError('INVALID_REQUEST', `the ${split} ratio must be a number between 0 and 1, got ${String(value)}`)
    }
  }
  const checked = { train: record.train as number, val: record.val as number, test: record.test as number }
  const sum = checked.train + checked.val + checked.test
  if (Math.abs(sum - 1) > SUM_TOLERANCE) {
    throw new AppError('INVALID_REQUEST', `the train, val and test ratios must add up to 1, got ${sum}`)
  }
  return checked
}

/**
 * Maps a uniform number in [0, 1) to a split. The thresholds are normalised by the sum, so a sum
 * of 0.9999999 can never leak a draw into a split whose ratio is 0 (x / x is exactly 1).
 */
export function splitForUniform(u: number, ratios: SplitRatios): ImageSplit {
  const sum = ratios.train + ratios.val + ratios.test
  if (u < ratios.train / sum) return 'train'
  if (u < (ratios.train + ratios.val) / sum) return 'val'
  return 'test'
}

const TWO_POW_20 = 2 ** 20
const TWO_POW_52 = 2 ** 52

/**
 * A uniform number in [0, 1) that depends only on `seed`: the first 52 bits of its sha256, so it
 * is the same on every machine and run, and exactly representable as a double.
 */
export function seededUniform(seed: string): number {
  const digest = createHash('sha256').update(seed).digest()
  const high32 = digest.readUInt32BE(0)
  const next20 = digest.readUInt32BE(4) >>> 12
  return (high32 * TWO_POW_20 + next20) / TWO_POW_52
}
