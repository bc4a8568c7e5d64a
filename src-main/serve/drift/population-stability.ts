// Population stability index (PSI) between two categorical distributions, e.g. the shares of the
// classes a server predicted against the shares of the labels the model was trained on.
//
//   PSI = Σ_i (actual_i − expected_i) · ln(actual_i / expected_i)
//
// It is the symmetric (Jeffreys) divergence of the two distributions. The usual rule of thumb:
// below 0.1 stable, 0.1–0.2 a moderate shift, above 0.2 a significant one.

/**
 * An empty bin has share 0 and ln(0) is −∞, so every share is floored at this epsilon before the
 * sum. 1e-4 keeps the penalty finite but large: a class that vanishes from a window, or appears
 * in one while it had no training images, contributes about share · ln(share / 1e-4), i.e.
 * 0.33 · 8.1 ≈ 2.7 for a third of the data — far above any threshold, as it should be.
 */
export const PSI_EPSILON = 1e-4

/** Counts → shares summing to 1 (all zeros when the counts are all zero). */
export function sharesOf(counts: ArrayLike<number>): number[] {
  let total = 0
  for (let i = 0; i < counts.length; i++) total += counts[i]!
  return Array.from({ length: counts.length }, (_, i) => (total > 0 ? counts[i]! / total : 0))
}

/** PSI of `actual` shares against `expected` shares (same length, each summing to about 1). */
export function populationStabilityIndex(expected: ArrayLike<number>, actual: ArrayLike<number>, epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length) throw new RangeError(`PSI needs shares of the same bins: ${expected.length} and ${actual.length}`)
  let psi = 0
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, epsilon)
    const a = Math.max(actual[i]!, epsilon)
    psi += (a - e) * Math.log(a / e)
  }
  return psi
}
