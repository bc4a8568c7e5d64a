import { describe, expect, it } from 'vitest'
import { createRandom, mixSeed } from '../../../../src-main/training/data/random'
import { classCounts, classWeights, epochOrder, shuffleInPlace, stepsPerEpoch } from '../../../../src-main/training/data/sampler'

const sorted = (values: number[]) => [...values].sort((a, b) => a - b)
const range = (n: number) => Array.from({ length: n }, (_, index) => index)

describe('epochOrder', () => {
  const labels = range(100).map((index) => index % 3)

  it('shuffles into a permutation that depends only on seed and epoch', () => {
    const order = epochOrder(labels, { seed: 7, epoch: 0 })
    expect(sorted(order)).toEqual(range(100))
    expect(order).not.toEqual(range(100))
    expect(epochOrder(labels, { seed: 7, epoch: 0 })).toEqual(order)
    expect(epochOrder(labels, { seed: 7, epoch: 1 })).not.toEqual(order)
    expect(epochOrder(labels, { seed: 8, epoch: 0 })).not.toEqual(order)
  })

  it('keeps the given order when shuffling is off', () => {
    expect(epochOrder(labels, { seed: 7, epoch: 3, shuffle: false })).toEqual(range(100))
  })

  it('oversamples every class to the size of the largest, deterministically, seeing every example', () => {
    // 50 of class 0, 20 of class 1, 7 of class 2, none of class 3.
    const imbalanced = [...new Array(50).fill(0), ...new Array(20).fill(1), ...new Array(7).fill(2)]
    for (const epoch of [0, 1, 2]) {
      const order = epochOrder(imbalanced, { seed: 1, epoch, oversample: true })
      expect(order).toHaveLength(150)
      expect(classCounts(order.map((position) => imbalanced[position]!), 4)).toEqual([50, 50, 50, 0])
      expect(epochOrder(imbalanced, { seed: 1, epoch, oversample: true })).toEqual(order)
      // The largest class once each; small classes: every example at least floor(50 / n) times.
      const seen = new Map<number, number>()
      for (const position of order) seen.set(position, (seen.get(position) ?? 0) + 1)
      expect(seen.size).toBe(77)
      for (let position = 0; position < 50; position++) expect(seen.get(position)).toBe(1)
      for (let position = 50; position < 70; position++) expect(seen.get(position)).toBeGreaterThanOrEqual(2)
      for (let position = 70; position < 77; position++) expect(seen.get(position)).toBeGreaterThanOrEqual(7)
    }
    const first = epochOrder(imbalanced, { seed: 1, epoch: 0, oversample: true })
    expect(epochOrder(imbalanced, { seed: 1, epoch: 1, oversample: true })).not.toEqual(first)
  })

  it('counts steps per epoch for plain and oversampled epochs', () => {
    const imbalanced = [...new Array(50).fill(0), ...new Array(20).fill(1)]
    expect(stepsPerEpoch(imbalanced, { batchSize: 32 })).toBe(3)
    expect(stepsPerEpoch(imbalanced, { batchSize: 32, oversample: true })).toBe(4)
    expect(stepsPerEpoch([], { batchSize: 32, oversample: true })).toBe(0)
  })
})

describe('classWeights', () => {
  it('gives Keras balanced weights n_samples / (n_classes · count), leaving empty classes out', () => {
    expect(classWeights([10, 10])).toEqual([1, 1])
    // 100 samples over 2 present classes.
    expect(classWeights([80, 0, 20])).toEqual([100 / (2 * 80), 0, 100 / (2 * 20)])
    const weights = classWeights([50, 30, 20])
    expect(weights[0]).toBeCloseTo(100 / 150)
    expect(weights[1]).toBeCloseTo(100 / 90)
    expect(weights[2]).toBeCloseTo(100 / 60)
    // Each class contributes equally and the mean sample weight is 1.
    expect(50 * weights[0]! + 30 * weights[1]! + 20 * weights[2]!).toBeCloseTo(100)
    expect(classWeights([0, 0])).toEqual([0, 0])
  })

  it('counts classes and rejects indices out of range', () => {
    expect(classCounts([0, 2, 2, 1, 2], 4)).toEqual([1, 1, 3, 0])
    expect(() => classCounts([0, 4], 4)).toThrow(RangeError)
  })
})

describe('seeded randomness', () => {
  it('repeats for a seed, stays in [0, 1), and mixes seeds apart', () => {
    const a = createRandom(99)
    const b = createRandom(99)
    const values = range(1000).map(() => a())
    expect(values).toEqual(range(1000).map(() => b()))
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...values)).toBeLessThan(1)
    expect(Math.abs(values.reduce((sum, value) => sum + value, 0) / 1000 - 0.5)).toBeLessThan(0.05)
    expect(mixSeed(1, 0, 5)).not.toBe(mixSeed(1, 0, 6))
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1))
    expect(sorted(shuffleInPlace(range(10), createRandom(1)))).toEqual(range(10))
  })
})
