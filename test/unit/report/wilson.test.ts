import { describe, expect, it } from 'vitest'
import { wilson } from '../../../src-main/report/wilson'

// Known values (Wilson 1927; the same figures statsmodels' proportion_confint(method='wilson') gives).
describe('wilson', () => {
  it('gives the textbook 95 % intervals', () => {
    const eight = wilson(8, 10)!
    expect(eight.low).toBeCloseTo(0.4902, 4)
    expect(eight.high).toBeCloseTo(0.9433, 4)
    const half = wilson(50, 100)!
    expect(half.low).toBeCloseTo(0.4038, 4)
    expect(half.high).toBeCloseTo(0.5962, 4)
  })

  it('stays inside [0, 1] at the edges, where the normal approximation does not', () => {
    const none = wilson(0, 10)!
    expect(none.low).toBe(0)
    expect(none.high).toBeCloseTo(0.2775, 4)
    const all = wilson(10, 10)!
    expect(all.low).toBeCloseTo(0.7225, 4)
    expect(all.high).toBe(1)
  })

  it('is null without trials and refuses impossible counts', () => {
    expect(wilson(0, 0)).toBeNull()
    expect(() => wilson(3, 2)).toThrow(RangeError)
  })
})
