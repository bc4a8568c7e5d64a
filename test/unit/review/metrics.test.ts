import { describe, expect, it } from 'vitest'
import { accuracy, confusionMatrix, crossEntropy, perClassMetrics, rowNormalized, totalCount } from '../../../src-main/review/metrics'

// A worked example, computed by hand. Five classes A B C D E (indices 0..4):
//   A→A ×3, A→B ×1        A has 4 images
//   B→B ×2, B→A ×1, B→D ×1 B has 4 images
//   C→A ×1, C→B ×1        C has 2 images and is never predicted
//   D: no images, but predicted once (the B→D mistake)
//   E: no images and never predicted
const pairs = [
  ...repeat(3, 0, 0),
  ...repeat(1, 0, 1),
  ...repeat(2, 1, 1),
  ...repeat(1, 1, 0),
  ...repeat(1, 1, 3),
  ...repeat(1, 2, 0),
  ...repeat(1, 2, 1)
]

function repeat(times: number, trueIndex: number, predictedIndex: number) {
  return Array.from({ length: times }, () => ({ trueIndex, predictedIndex }))
}

describe('confusionMatrix', () => {
  it('counts pairs as [true][predicted]', () => {
    expect(confusionMatrix(pairs, 5)).toEqual([
      [3, 1, 0, 0, 0],
      [1, 2, 0, 1, 0],
      [1, 1, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0]
    ])
    expect(totalCount(confusionMatrix(pairs, 5))).toBe(10)
  })

  it('refuses an index outside the classes instead of dropping it', () => {
    expect(() => confusionMatrix([{ trueIndex: 0, predictedIndex: 2 }], 2)).toThrow(RangeError)
    expect(() => confusionMatrix([{ trueIndex: -1, predictedIndex: 0 }], 2)).toThrow(RangeError)
  })
})

describe('accuracy', () => {
  it('is the diagonal over the total: (3 + 2 + 0) / 10 = 0.5', () => {
    expect(accuracy(confusionMatrix(pairs, 5))).toBe(0.5)
  })

  it('is null when nothing was scored, not 0 or NaN', () => {
    expect(accuracy(confusionMatrix([], 3))).toBeNull()
  })
})

describe('perClassMetrics', () => {
  const metrics = perClassMetrics(confusionMatrix(pairs, 5))

  it('A: precision 3/(3+1+1) = 0.6, recall 3/4 = 0.75, F1 2·3/(2·3+2+1) = 6/9', () => {
    expect(metrics[0]!.precision).toBeCloseTo(0.6, 12)
    expect(metrics[0]!.recall).toBeCloseTo(0.75, 12)
    // Same as the harmonic mean 2·0.6·0.75/(0.6+0.75) = 0.9/1.35.
    expect(metrics[0]!.f1).toBeCloseTo(6 / 9, 12)
    expect(metrics[0]!.support).toBe(4)
  })

  it('B: precision 2/(1+2+1) = 0.5, recall 2/4 = 0.5, F1 4/(4+2+2) = 0.5', () => {
    expect(metrics[1]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 4 })
  })

  it('C, never predicted: precision 0/0 = null, recall 0/2 = 0, F1 0/(0+0+2) = 0', () => {
    expect(metrics[2]).toEqual({ precision: null, recall: 0, f1: 0, support: 2 })
  })

  it('D, no images but predicted once: precision 0/1 = 0, recall 0/0 = null, F1 0/(0+1+0) = 0', () => {
    expect(metrics[3]).toEqual({ precision: 0, recall: null, f1: 0, support: 0 })
  })

  it('E, neither present nor predicted: everything null, support 0', () => {
    expect(metrics[4]).toEqual({ precision: null, recall: null, f1: null, support: 0 })
  })

  it('a perfect classifier scores 1 everywhere', () => {
    const perfect = perClassMetrics(confusionMatrix([...repeat(2, 0, 0), ...repeat(5, 1, 1)], 2))
    expect(perfect).toEqual([
      { precision: 1, recall: 1, f1: 1, support: 2 },
      { precision: 1, recall: 1, f1: 1, support: 5 }
    ])
  })
})

describe('rowNormalized', () => {
  it('divides each row by its support and leaves empty rows at zero', () => {
    expect(rowNormalized(confusionMatrix(pairs, 5))).toEqual([
      [0.75, 0.25, 0, 0, 0],
      [0.25, 0.5, 0, 0.25, 0],
      [0.5, 0.5, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0]
    ])
  })
})

describe('crossEntropy', () => {
  it('is −ln p: 0 for certainty, ln 2 for a coin flip, finite for p = 0', () => {
    expect(crossEntropy(1)).toBeCloseTo(0, 12)
    expect(crossEntropy(0.5)).toBeCloseTo(Math.LN2, 12)
    expect(crossEntropy(0)).toBeCloseTo(-Math.log(1e-7), 9)
    expect(Number.isFinite(crossEntropy(0))).toBe(true)
  })
})
