import { describe, expect, it } from 'vitest'
import { principalComponents, project } from '../../../../src-main/serve/drift/principal-components'
import { createRandom } from '../../../../src-main/training/data/random'

// PCA must find directions planted in the data (with their variances), give unit-length orthogonal
// components in decreasing variance, do so identically for a seed, and cope with fewer vectors than
// components — at the real size (2000 × 1280) in well under the time a first serve can spare.

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!
  return sum
}

/** Random orthonormal directions in d dimensions (Gram–Schmidt on Gaussian vectors). */
function orthonormal(count: number, d: number, random: () => number): Float64Array[] {
  const out: Float64Array[] = []
  while (out.length < count) {
    const v = Float64Array.from({ length: d }, () => gaussian(random))
    for (const u of out) {
      const along = dot(v, u)
      for (let j = 0; j < d; j++) v[j]! -= along * u[j]!
    }
    const norm = Math.sqrt(dot(v, v))
    out.push(v.map((value) => value / norm))
  }
  return out
}

/** n vectors: mean + Σ zᵢ σᵢ uᵢ + isotropic noise. */
function plantedData(n: number, d: number, sigmas: number[], noise: number, seed: number) {
  const random = createRandom(seed)
  const directions = orthonormal(sigmas.length, d, random)
  const mean = Float64Array.from({ length: d }, (_, j) => Math.sin(j))
  const rows = Array.from({ length: n }, () => {
    const row = Float32Array.from({ length: d }, (_, j) => mean[j]! + noise * gaussian(random))
    sigmas.forEach((sigma, i) => {
      const z = sigma * gaussian(random)
      for (let j = 0; j < d; j++) row[j]! += z * directions[i]![j]!
    })
    return row
  })
  return { rows, directions, mean }
}

describe('principal components', () => {
  it('recovers planted directions in order of variance, unit length and mutually orthogonal', () => {
    // Far enough apart that sampling mixes neighbouring directions by under 2 % with 4000 vectors.
    const sigmas = [20, 12, 7, 4, 2]
    const { rows, directions, mean } = plantedData(4000, 100, sigmas, 0.3, 11)
    const pca = principalComponents(rows, { k: 5, seed: 3 })
    expect(pca.components).toHaveLength(5)
    pca.components.forEach((component, i) => {
      expect(Math.abs(dot(component, directions[i]!))).toBeGreaterThan(0.999)
      expect(dot(component, component)).toBeCloseTo(1, 10)
      for (let j = 0; j < i; j++) expect(Math.abs(dot(component, pca.components[j]!))).toBeLessThan(1e-10)
      // Sample variance of σ·z over 4000 draws is within ~7 % of σ² (plus the noise's 0.09).
      expect(pca.variances[i]! / (sigmas[i]! ** 2 + 0.09)).toBeGreaterThan(0.9)
      expect(pca.variances[i]! / (sigmas[i]! ** 2 + 0.09)).toBeLessThan(1.1)
    })
    expect(pca.variances).toEqual([...pca.variances].sort((a, b) => b - a))
    for (let j = 0; j < 100; j++) expect(pca.mean[j]).toBeCloseTo(mean[j]!, 0)
  })

  it('projects the data with the variance it reports', () => {
    const { rows } = plantedData(400, 50, [5, 2], 0.5, 12)
    const pca = principalComponents(rows, { k: 3, seed: 1 })
    pca.components.forEach((component, i) => {
      const projections = rows.map((row) => project(row, pca.mean, component))
      const variance = projections.reduce((sum, value) => sum + value * value, 0) / (rows.length - 1)
      expect(variance).toBeCloseTo(pca.variances[i]!, 6)
      expect(Math.abs(projections.reduce((sum, value) => sum + value, 0) / rows.length)).toBeLessThan(1e-9)
    })
  })

  it('is deterministic for a seed and stable in sign', () => {
    const { rows } = plantedData(300, 64, [4, 3, 2], 0.5, 13)
    const a = principalComponents(rows, { k: 3, seed: 9 })
    const b = principalComponents(rows, { k: 3, seed: 9 })
    expect(a.components).toEqual(b.components)
    const c = principalComponents(rows, { k: 3, seed: 10 })
    c.components.forEach((component, i) => expect(dot(component, a.components[i]!)).toBeGreaterThan(0.999))
  })

  it('keeps at most n − 1 components and still returns unit vectors for rank-deficient data', () => {
    const twoRows = [Float32Array.from([1, 2, 3, 4]), Float32Array.from([3, 2, 1, 0])]
    const pca = principalComponents(twoRows, { k: 16, seed: 1 })
    expect(pca.components).toHaveLength(1)
    expect(Math.abs(dot(pca.components[0]!, [0.5, 0, -0.5, -1].map((v) => v / Math.sqrt(1.5))))).toBeCloseTo(1, 10)
    expect(principalComponents([Float32Array.from([1, 2])], { k: 4 }).components).toEqual([])
    // Identical rows: no variance anywhere, yet the directions stay orthonormal.
    const flat = principalComponents(Array.from({ length: 10 }, () => Float32Array.from([1, 1, 1])), { k: 2, seed: 1 })
    flat.components.forEach((component) => expect(dot(component, component)).toBeCloseTo(1, 10))
    expect(() => principalComponents([], { k: 2 })).toThrow(RangeError)
    expect(() => principalComponents([Float32Array.from([1]), Float32Array.from([1, 2])], { k: 1 })).toThrow(RangeError)
  })

  it('handles the real size, 2000 vectors of 1280 features, with 16 components in a few seconds', () => {
    // Close variances (20 … 5): sampling mixes neighbours, so each component is checked as what it
    // must be — an eigenvector of the sample covariance C (residual ‖Cv − λv‖ tiny) — and the
    // 16 together must span the 16 planted directions.
    const { rows, directions } = plantedData(2000, 1280, Array.from({ length: 16 }, (_, i) => 20 - i), 1, 14)
    const started = performance.now()
    const pca = principalComponents(rows, { k: 16, seed: 1 })
    const seconds = (performance.now() - started) / 1000
    console.log(`PCA of 2000 × 1280 → 16 components: ${seconds.toFixed(2)} s`)
    expect(seconds).toBeLessThan(10)
    pca.components.forEach((component, i) => {
      const projections = rows.map((row) => project(row, pca.mean, component))
      const cv = new Float64Array(1280)
      rows.forEach((row, r) => {
        for (let j = 0; j < 1280; j++) cv[j]! += (projections[r]! * (row[j]! - pca.mean[j]!)) / (rows.length - 1)
      })
      let residual = 0
      for (let j = 0; j < 1280; j++) residual += (cv[j]! - pca.variances[i]! * component[j]!) ** 2
      expect(Math.sqrt(residual) / pca.variances[i]!).toBeLessThan(1e-3)
    })
    for (const direction of directions) {
      const captured = pca.components.reduce((sum, component) => sum + dot(component, direction) ** 2, 0)
      // The weakest spike (variance 25 over unit noise, d/n = 0.64) can be recovered only to
      // overlap² = (1 − γ/ℓ²)/(1 + γ/ℓ) ≈ 0.974 from 2000 samples (the spiked-covariance limit).
      expect(captured).toBeGreaterThan(0.95)
    }
  }, 60_000)
})
