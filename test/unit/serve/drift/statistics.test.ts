import { describe, expect, it } from 'vitest'
import {
  bonferroniLevel,
  bonferroniRejections,
  kolmogorovSurvival,
  ksPValue,
  ksStatistic,
  ksTest
} from '../../../../src-main/serve/drift/kolmogorov-smirnov'
import { populationStabilityIndex, PSI_EPSILON, sharesOf } from '../../../../src-main/serve/drift/population-stability'
import { createRandom } from '../../../../src-main/training/data/random'

// The drift statistics against values worked out independently: PSI by hand, the Kolmogorov
// distribution against its textbook critical values (λ = 1.2239, 1.3581, 1.6276 for α = 0.10,
// 0.05, 0.01) and K(0.5), K(1) from tables, and the KS p-value's calibration by simulation.
// (Debian's python3 here has no scipy to compare with; the series were cross-checked in plain Python.)

const sorted = (values: number[]) => [...values].sort((a, b) => a - b)

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

describe('population stability index', () => {
  it('is 0 for equal shares and matches the formula worked by hand', () => {
    expect(populationStabilityIndex([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0)
    // (0.6 − 0.5)·ln(0.6/0.5) + (0.4 − 0.5)·ln(0.4/0.5) = 0.1·(ln 1.2 − ln 0.8)
    expect(populationStabilityIndex([0.5, 0.5], [0.6, 0.4])).toBeCloseTo(0.0405465108, 9)
  })

  it('floors an empty bin at the epsilon, so a vanished class gives a large finite PSI', () => {
    expect(PSI_EPSILON).toBe(1e-4)
    const psi = populationStabilityIndex([0.5, 0.5], [1, 0])
    expect(psi).toBeCloseTo(0.5 * Math.log(2) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 9)
    expect(psi).toBeCloseTo(4.6043, 3)
    expect(Number.isFinite(populationStabilityIndex([0, 1], [1, 0]))).toBe(true)
  })

  it('is symmetric and refuses bins that do not match', () => {
    expect(populationStabilityIndex([0.1, 0.9], [0.3, 0.7])).toBeCloseTo(populationStabilityIndex([0.3, 0.7], [0.1, 0.9]), 12)
    expect(() => populationStabilityIndex([0.5, 0.5], [1])).toThrow(RangeError)
    expect(sharesOf([1, 3, 0])).toEqual([0.25, 0.75, 0])
    expect(sharesOf([0, 0])).toEqual([0, 0])
  })
})

describe('two-sample Kolmogorov–Smirnov', () => {
  it('computes D for small samples worked by hand, ties included', () => {
    expect(ksStatistic([1, 2, 3], [4, 5, 6])).toBe(1)
    expect(ksStatistic([1, 2, 3, 4], [2.5])).toBe(0.5)
    // Ties step together: at 1 the ECDFs are 2/3 and 1/3, at 2 both are 1.
    expect(ksStatistic([1, 1, 2], [1, 2, 2])).toBeCloseTo(1 / 3, 12)
    expect(ksStatistic([1, 2, 2, 3], [1, 2, 2, 3])).toBe(0)
    expect(ksStatistic([], [1])).toBe(0)
  })

  it('has the Kolmogorov distribution’s textbook values on both sides of the switch between series', () => {
    expect(kolmogorovSurvival(1.2239)).toBeCloseTo(0.1, 4)
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 5)
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 5)
    // Tables: K(0.5) = 0.036055, K(1.0) = 0.730000, K(2.0) = 0.999329.
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.9639452437, 9)
    expect(kolmogorovSurvival(1.0)).toBeCloseTo(0.2699996717, 9)
    expect(kolmogorovSurvival(2.0)).toBeCloseTo(0.00067092526, 10)
    expect(Math.abs(kolmogorovSurvival(1.17999) - kolmogorovSurvival(1.18))).toBeLessThan(1e-5)
    expect(kolmogorovSurvival(0)).toBe(1)
    expect(kolmogorovSurvival(0.05)).toBe(1)
    expect(kolmogorovSurvival(10)).toBeLessThan(1e-80)
  })

  it('applies the effective sample size and Stephens’ correction', () => {
    // n = m = 100: nₑ = 50, λ = (√50 + 0.12 + 0.11/√50)·D.
    const d = 0.2
    const lambda = (Math.sqrt(50) + 0.12 + 0.11 / Math.sqrt(50)) * d
    expect(ksPValue(d, 100, 100)).toBeCloseTo(kolmogorovSurvival(lambda), 12)
    expect(ksPValue(d, 100, 100)).toBeGreaterThan(0.02)
    expect(ksPValue(d, 100, 100)).toBeLessThan(0.05)
    expect(ksPValue(0.5, 0, 10)).toBe(1)
  })

  it('is calibrated: samples of one distribution reject at 5 % about 5 % of the time, shifted ones nearly always', () => {
    const random = createRandom(7)
    const draw = (count: number, shift: number) => Float64Array.from({ length: count }, () => gaussian(random) + shift).sort()
    let nullRejections = 0
    let shiftedRejections = 0
    const trials = 400
    for (let trial = 0; trial < trials; trial++) {
      const reference = draw(1000, 0)
      if (ksTest(draw(100, 0), reference).pValue < 0.05) nullRejections++
      if (ksTest(draw(100, 0.5), reference).pValue < 0.05) shiftedRejections++
    }
    // Expected 20 of 400 (binomial sd ≈ 4.4).
    expect(nullRejections).toBeGreaterThanOrEqual(8)
    expect(nullRejections).toBeLessThanOrEqual(34)
    expect(shiftedRejections).toBeGreaterThan(trials * 0.95)
  })

  it('works on sorted arrays of any kind', () => {
    expect(ksTest(sorted([3, 1, 2]), Float64Array.from([1, 2, 3]))).toEqual({ ks: 0, pValue: 1 })
  })
})

describe('Bonferroni', () => {
  it('tests each of k components at alpha / k', () => {
    expect(bonferroniLevel(0.01, 16)).toBe(0.000625)
    expect(bonferroniLevel(0.01, 0)).toBe(0.01)
    expect(bonferroniRejections([0.0006, 0.001, 0.5, 0.0001], 0.01)).toEqual([0, 1, 3])
    expect(bonferroniRejections([0.003, 0.001, 0.5, 0.0001], 0.01)).toEqual([1, 3])
    expect(bonferroniRejections([0.0006, 0.5], 0.01)).toEqual([0])
  })
})
