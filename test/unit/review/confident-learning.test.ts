import { describe, expect, it } from 'vitest'
import {
  byNormalizedMargin,
  confidentJoint,
  findSuspects,
  perClassThresholds,
  type ProbabilityMatrix
} from '../../../src-main/review/confident-learning'
import { stratifiedFolds } from '../../../src-main/review/out-of-fold'

const matrix = (rows: number[][]): ProbabilityMatrix => ({
  values: Float32Array.from(rows.flat()),
  rows: rows.length,
  classes: rows[0]!.length
})

// Three classes; rows 0–2 labeled 0, rows 3–5 labeled 1, rows 6–7 labeled 2.
// Worked by hand: t0 = (0.9 + 0.8 + 0.1) / 3 = 0.6, t1 = (0.7 + 0.8 + 0.45) / 3 = 0.65, t2 = (0.9 + 0.5) / 2 = 0.7.
const probabilities = matrix([
  [0.9, 0.05, 0.05], // 0: clean
  [0.8, 0.1, 0.1], // 1: clean
  [0.1, 0.85, 0.05], // 2: labeled 0, confidently 1 → suspect, suggest 1
  [0.2, 0.7, 0.1], // 3: clean
  [0.1, 0.8, 0.1], // 4: clean
  [0.05, 0.45, 0.5], // 5: labeled 1, p2 = 0.5 < t2 = 0.7 → not confident of anything, kept
  [0.05, 0.05, 0.9], // 6: clean
  [0.62, 0.0, 0.5] // 7: labeled 2, p0 = 0.62 ≥ t0 = 0.6 and p2 = 0.5 < t2 → suspect, suggest 0
])
const labels = [0, 0, 0, 1, 1, 1, 2, 2]

describe('confident learning', () => {
  it('thresholds are the mean self-probability of each class', () => {
    const thresholds = perClassThresholds(probabilities, labels)
    expect(thresholds[0]).toBeCloseTo(0.6, 6)
    expect(thresholds[1]).toBeCloseTo(0.65, 6)
    expect(thresholds[2]).toBeCloseTo(0.7, 6)
  })

  it('flags the off-diagonal of the confident joint with the confident class as the suggestion', () => {
    const suspects = findSuspects(probabilities, labels)
    expect(suspects.map((s) => [s.row, s.givenIndex, s.suggestedIndex])).toEqual([
      [2, 0, 1], // self-confidence 0.1: most suspicious
      [7, 2, 0] // self-confidence 0.5
    ])
    expect(suspects[0]!.selfConfidence).toBeCloseTo(0.1, 6)
    expect(suspects[0]!.suggestedConfidence).toBeCloseTo(0.85, 6)
    expect(confidentJoint(probabilities, labels)).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [1, 0, 1]
    ])
  })

  it("keeps an image confidently its own class under 'confident-joint'; 'any-other' flags it", () => {
    const probs = matrix([
      [0.6, 0.35, 0.05], // labeled 0: p0 ≥ t0 and p1 ≥ t1, own class the more probable
      [0.5, 0.1, 0.4], // labeled 0: nothing reaches its threshold
      [0.1, 0.3, 0.6], // labeled 1: own class confident, p2 < t2
      [0.0, 0.0, 1.0],
      [0.0, 0.0, 1.0]
    ])
    const given = [0, 0, 1, 2, 2]
    // t0 = (0.6 + 0.5) / 2 = 0.55, t1 = 0.3, t2 = 1.
    expect(findSuspects(probs, given, { rule: 'confident-joint' })).toEqual([])
    expect(findSuspects(probs, given, { rule: 'any-other' }).map((s) => [s.row, s.suggestedIndex])).toEqual([[0, 1]])
  })

  it('never counts a class without labeled images as confident', () => {
    const probs = matrix([
      [0.5, 0.45, 0.05],
      [0.9, 0.05, 0.05],
      [0.1, 0.4, 0.5], // labeled 1: p2 = 0.5, but class 2 has no threshold
      [0.1, 0.8, 0.1]
    ])
    const given = [0, 0, 1, 1]
    expect(perClassThresholds(probs, given)[2]).toBeNull()
    expect(findSuspects(probs, given)).toEqual([])
  })

  it('orders by self-confidence, and the margin ordering is the alternative', () => {
    // t0 = (0.3 + 0.2 + 0.95) / 3 ≈ 0.483, t1 = 0.4, t2 = 1.
    const probs = matrix([
      [0.3, 0.7, 0.0], // labeled 0 → 1: self 0.3, margin 0.4
      [0.2, 0.45, 0.35], // labeled 0 → 1: self 0.2, margin 0.25
      [0.95, 0.05, 0.0],
      [0.5, 0.4, 0.1], // labeled 1 → 0 (0.5 ≥ t0 beats 0.4 ≥ t1): self 0.4, margin 0.1
      [0.0, 0.0, 1.0]
    ])
    const suspects = findSuspects(probs, [0, 0, 0, 1, 2])
    expect(suspects.map((s) => s.row)).toEqual([1, 0, 3])
    expect(suspects.map((s) => s.suggestedIndex)).toEqual([1, 1, 0])
    expect([...suspects].sort(byNormalizedMargin).map((s) => s.row)).toEqual([0, 1, 3])
  })

  it('rejects mismatched shapes and labels outside the classes', () => {
    expect(() => findSuspects(matrix([[0.5, 0.5]]), [2])).toThrow(RangeError)
    expect(() => findSuspects({ values: new Float32Array(3), rows: 2, classes: 2 }, [0, 1])).toThrow(RangeError)
  })
})

describe('stratified folds', () => {
  it('deals each class evenly across folds, deterministically', () => {
    const classes = [...Array(23).fill(0), ...Array(12).fill(1), ...Array(5).fill(2)] as number[]
    const folds = stratifiedFolds(classes, 5, 7)
    expect(stratifiedFolds(classes, 5, 7)).toEqual(folds)
    expect(stratifiedFolds(classes, 5, 8)).not.toEqual(folds)
    const sizes = [0, 0, 0, 0, 0]
    for (const fold of folds) sizes[fold]!++
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    for (const classIndex of [0, 1, 2]) {
      const perFold = [0, 0, 0, 0, 0]
      classes.forEach((c, row) => c === classIndex && perFold[folds[row]!]!++)
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1)
    }
  })
})
