// The two-sample Kolmogorov–Smirnov test: is a window of recent values drawn from the same
// distribution as a reference sample? Used per principal component of the model's features.

/**
 * D = sup_x |F_a(x) − F_b(x)|, the largest gap between the two empirical distribution functions.
 * Both arrays must be sorted ascending. Ties are handled by stepping past every copy of a value in
 * both samples before comparing, so equal samples give D = 0. O(n + m).
 */
export function ksStatistic(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n = sortedA.length
  const m = sortedB.length
  if (n === 0 || m === 0) return 0
  let i = 0
  let j = 0
  let d = 0
  while (i < n && j < m) {
    const x = Math.min(sortedA[i]!, sortedB[j]!)
    while (i < n && sortedA[i]! <= x) i++
    while (j < m && sortedB[j]! <= x) j++
    d = Math.max(d, Math.abs(i / n - j / m))
  }
  return d
}

/**
 * The Kolmogorov distribution's survival function Q(λ) = P(K > λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²}.
 * That alternating series converges fast for λ ≳ 1 but slowly near 0, so below λ = 1.18 the
 * equivalent Jacobi-theta form is used instead: P(K ≤ λ) = (√(2π)/λ) Σ_{j≥1} e^{−(2j−1)²π²/(8λ²)}.
 * Either way a handful of terms give full double precision.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1
  if (lambda < 1.18) {
    const y = Math.exp((-Math.PI * Math.PI) / (8 * lambda * lambda))
    let sum = 0
    for (let j = 1; j <= 6; j++) sum += Math.pow(y, (2 * j - 1) * (2 * j - 1))
    return clamp01(1 - (Math.sqrt(2 * Math.PI) / lambda) * sum)
  }
  let sum = 0
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda)
    sum += j % 2 === 1 ? term : -term
    if (term < 1e-17) break
  }
  return clamp01(2 * sum)
}

/**
 * The asymptotic p-value of D for samples of sizes n and m: Q(λ) with the effective size
 * nₑ = nm/(n+m) and Stephens' small-sample correction λ = (√nₑ + 0.12 + 0.11/√nₑ)·D (as in
 * Numerical Recipes' kstwo). Good to about two digits for nₑ ≥ ~30 — what a drift window of 50+
 * images against a reference of ~1000 gives (nₑ ≥ 47); below that it is only indicative.
 */
export function ksPValue(d: number, n: number, m: number): number {
  if (n === 0 || m === 0) return 1
  const ne = (n * m) / (n + m)
  const root = Math.sqrt(ne)
  return kolmogorovSurvival((root + 0.12 + 0.11 / root) * d)
}

/** Both in one: the statistic and its asymptotic p-value for two sorted samples. */
export function ksTest(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): { ks: number; pValue: number } {
  const ks = ksStatistic(sortedA, sortedB)
  return { ks, pValue: ksPValue(ks, sortedA.length, sortedB.length) }
}

/**
 * Bonferroni over k tests at family-wise level alpha: each test rejects at alpha / k, which bounds
 * the chance that any of the k fires by chance at alpha, whatever their dependence.
 */
export function bonferroniLevel(alpha: number, tests: number): number {
  return tests > 0 ? alpha / tests : alpha
}

/** The indices of the p-values that reject at family-wise level alpha under Bonferroni. */
export function bonferroniRejections(pValues: readonly number[], alpha: number): number[] {
  const level = bonferroniLevel(alpha, pValues.length)
  return pValues.flatMap((p, index) => (p < level ? [index] : []))
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value))
}
