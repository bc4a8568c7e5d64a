// A small PCA for drift features: the top k principal directions of n feature vectors of length d
// (MobileNetV2's 1280 pooled features, a CNN's penultimate layer), found by randomized subspace
// iteration (Halko, Martinsson & Tropp 2011, algorithm 4.4) rather than a d×d covariance and an
// eigensolver: it touches the centered data X (n×d) only through products X·Q and Xᵀ·Q with a thin
// block of l = k + oversampling columns, so 2000 images × 1280 features take well under a second.
// The result is deterministic for a seed, and the directions are orthonormal by construction.
import { createRandom, type Random } from '../../training/data/random'

export interface PrincipalComponents {
  /** Length d: the mean subtracted before projecting. */
  mean: Float64Array
  /** k rows of length d: orthonormal directions, by decreasing variance. */
  components: Float64Array[]
  /** The variance of the data along each direction. */
  variances: number[]
}

export interface PcaOptions {
  /** How many directions (fewer when the data has fewer: at most min(n − 1, d)). */
  k: number
  seed?: number
  /** Extra columns in the block; they make the top k accurate when the spectrum decays slowly. */
  oversampling?: number
  /** Power iterations; each sharpens the separation by another factor of (σ_l / σ_k)². */
  iterations?: number
}

export function principalComponents(rows: readonly ArrayLike<number>[], options: PcaOptions): PrincipalComponents {
  const n = rows.length
  if (n === 0) throw new RangeError('PCA needs at least one feature vector')
  const d = rows[0]!.length
  const mean = new Float64Array(d)
  for (const row of rows) {
    if (row.length !== d) throw new RangeError(`feature vectors differ in length: ${d} and ${row.length}`)
    for (let j = 0; j < d; j++) mean[j]! += row[j]!
  }
  for (let j = 0; j < d; j++) mean[j]! /= n
  const k = Math.max(0, Math.min(options.k, n - 1, d))
  if (k === 0) return { mean, components: [], variances: [] }
  // Centered data, row-major (n·d doubles: 20 MB for 2000 × 1280).
  const x = new Float64Array(n * d)
  rows.forEach((row, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = row[j]! - mean[j]!
  })
  const l = Math.min(k + (options.oversampling ?? 10), n, d)
  const random = createRandom(options.seed ?? 1)
  // Blocks are stored column by column: column c of a p-row block is block[c·p … c·p + p).
  let basis = gaussianBlock(d, l, random)
  orthonormalize(basis, d, l, random)
  for (let step = 0; step < (options.iterations ?? 4); step++) {
    const y = times(x, n, d, basis, l)
    orthonormalize(y, n, l, random)
    basis = transposeTimes(x, n, d, y, l)
    orthonormalize(basis, d, l, random)
  }
  // Rayleigh–Ritz: the covariance restricted to the subspace, B = (XQ)ᵀ(XQ)/(n−1), diagonalized exactly.
  const y = times(x, n, d, basis, l)
  const b = new Float64Array(l * l)
  for (let r = 0; r < l; r++) {
    for (let c = r; c < l; c++) {
      let sum = 0
      for (let i = 0; i < n; i++) sum += y[r * n + i]! * y[c * n + i]!
      b[r * l + c] = b[c * l + r] = sum / Math.max(1, n - 1)
    }
  }
  const { values, vectors } = symmetricEigen(b, l)
  const order = Array.from({ length: l }, (_, i) => i).sort((p, q) => values[q]! - values[p]!)
  const components = order.slice(0, k).map((index) => {
    const direction = new Float64Array(d)
    for (let c = 0; c < l; c++) {
      const weight = vectors[c * l + index]!
      for (let j = 0; j < d; j++) direction[j]! += weight * basis[c * d + j]!
    }
    return canonicalSign(normalize(direction))
  })
  return { mean, components, variances: order.slice(0, k).map((index) => Math.max(0, values[index]!)) }
}

/** (v − mean) · component, for one feature vector. */
export function project(values: ArrayLike<number>, mean: ArrayLike<number>, component: ArrayLike<number>): number {
  let sum = 0
  for (let j = 0; j < component.length; j++) sum += (values[j]! - mean[j]!) * component[j]!
  return sum
}

function gaussianBlock(rows: number, columns: number, random: Random): Float64Array {
  const block = new Float64Array(rows * columns)
  for (let i = 0; i < block.length; i++) block[i] = gaussian(random)
  return block
}

/** Box–Muller from the seeded uniform source. */
function gaussian(random: Random): number {
  const u = 1 - random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

/** X (n×d, row-major) · Q (d×l, by columns) → n×l by columns. Four columns per pass: each x value is read once for four products. */
function times(x: Float64Array, n: number, d: number, q: Float64Array, l: number): Float64Array {
  const out = new Float64Array(n * l)
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * d, (i + 1) * d)
    let c = 0
    for (; c + 4 <= l; c += 4) {
      const q0 = q.subarray(c * d, (c + 1) * d)
      const q1 = q.subarray((c + 1) * d, (c + 2) * d)
      const q2 = q.subarray((c + 2) * d, (c + 3) * d)
      const q3 = q.subarray((c + 3) * d, (c + 4) * d)
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      for (let j = 0; j < d; j++) {
        const value = row[j]!
        s0 += value * q0[j]!
        s1 += value * q1[j]!
        s2 += value * q2[j]!
        s3 += value * q3[j]!
      }
      out[c * n + i] = s0
      out[(c + 1) * n + i] = s1
      out[(c + 2) * n + i] = s2
      out[(c + 3) * n + i] = s3
    }
    for (; c < l; c++) {
      const column = q.subarray(c * d, (c + 1) * d)
      let sum = 0
      for (let j = 0; j < d; j++) sum += row[j]! * column[j]!
      out[c * n + i] = sum
    }
  }
  return out
}

/** Xᵀ (d×n) · Y (n×l, by columns) → d×l by columns: each row of X added, weighted, into every column. */
function transposeTimes(x: Float64Array, n: number, d: number, y: Float64Array, l: number): Float64Array {
  const out = new Float64Array(d * l)
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * d, (i + 1) * d)
    for (let c = 0; c < l; c++) {
      const weight = y[c * n + i]!
      if (weight === 0) continue
      const column = out.subarray(c * d, (c + 1) * d)
      for (let j = 0; j < d; j++) column[j]! += weight * row[j]!
    }
  }
  return out
}

/**
 * Modified Gram–Schmidt, twice ("twice is enough" for orthogonality to working precision). A
 * column that collapses (the data has lower rank than l) is replaced by a fresh random one, so
 * the block always stays orthonormal.
 */
function orthonormalize(block: Float64Array, rows: number, columns: number, random: Random): void {
  for (let c = 0; c < columns; c++) {
    const column = block.subarray(c * rows, (c + 1) * rows)
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < c; p++) {
          const previous = block.subarray(p * rows, (p + 1) * rows)
          let dot = 0
          for (let i = 0; i < rows; i++) dot += column[i]! * previous[i]!
          for (let i = 0; i < rows; i++) column[i]! -= dot * previous[i]!
        }
      }
      let norm = 0
      for (let i = 0; i < rows; i++) norm += column[i]! * column[i]!
      norm = Math.sqrt(norm)
      if (norm > 1e-10 || attempt >= 3) {
        for (let i = 0; i < rows; i++) column[i]! /= norm || 1
        break
      }
      for (let i = 0; i < rows; i++) column[i] = gaussian(random)
    }
  }
}

/** Cyclic Jacobi rotations on a small symmetric l×l matrix: eigenvalues and eigenvectors (by columns). */
function symmetricEigen(matrix: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix)
  const v = new Float64Array(l * l)
  for (let i = 0; i < l; i++) v[i * l + i] = 1
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += a[p * l + q]! ** 2
    if (off < 1e-30) break
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = a[p * l + q]!
        if (Math.abs(apq) < 1e-300) continue
        const theta = (a[q * l + q]! - a[p * l + p]!) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const cos = 1 / Math.sqrt(t * t + 1)
        const sin = t * cos
        for (let r = 0; r < l; r++) {
          const arp = a[r * l + p]!
          const arq = a[r * l + q]!
          a[r * l + p] = cos * arp - sin * arq
          a[r * l + q] = sin * arp + cos * arq
        }
        for (let r = 0; r < l; r++) {
          const apr = a[p * l + r]!
          const aqr = a[q * l + r]!
          a[p * l + r] = cos * apr - sin * aqr
          a[q * l + r] = sin * apr + cos * aqr
        }
        for (let r = 0; r < l; r++) {
          const vrp = v[r * l + p]!
          const vrq = v[r * l + q]!
          v[r * l + p] = cos * vrp - sin * vrq
          v[r * l + q] = sin * vrp + cos * vrq
        }
      }
    }
  }
  // Row-major with the eigenvectors as columns: entry r of eigenvector c is vectors[r·l + c].
  return { values: Float64Array.from({ length: l }, (_, i) => a[i * l + i]!), vectors: v }
}

function normalize(vector: Float64Array): Float64Array {
  let norm = 0
  for (const value of vector) norm += value * value
  norm = Math.sqrt(norm) || 1
  for (let j = 0; j < vector.length; j++) vector[j]! /= norm
  return vector
}

/** A direction and its negative are the same component; the largest entry is made positive so the output is stable. */
function canonicalSign(vector: Float64Array): Float64Array {
  let largest = 0
  for (const value of vector) if (Math.abs(value) > Math.abs(largest)) largest = value
  if (largest < 0) for (let j = 0; j < vector.length; j++) vector[j] = -vector[j]!
  return vector
}
