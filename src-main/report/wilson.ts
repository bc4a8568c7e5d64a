// Wilson score intervals: how sure a proportion measured on few images is. A test split of 10 images
// with 8 right says "somewhere between 49 % and 94 %", which the bare 80 % hides. Wilson rather than
// the normal approximation because it stays inside [0, 1] and behaves at 0/n and n/n.

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054

export interface Interval {
  low: number
  high: number
}

/** The 95 % (or `z`) Wilson interval of `successes` out of `trials`; null when there were no trials. */
export function wilson(successes: number, trials: number, z = Z95): Interval | null {
  if (!Number.isFinite(trials) || trials <= 0) return null
  if (successes < 0 || successes > trials) throw new RangeError(`successes must be in [0, ${trials}], got ${successes}`)
  const p = successes / trials
  const z2 = z * z
  const denominator = 1 + z2 / trials
  const center = (p + z2 / (2 * trials)) / denominator
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))
  // Exactly 0 and 1 at the edges (where the formula gives them up to rounding).
  return { low: successes === 0 ? 0 : Math.max(0, center - half), high: successes === trials ? 1 : Math.min(1, center + half) }
}
