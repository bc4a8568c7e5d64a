import { describe, expect, it } from 'vitest'
import type { RunSummary } from '../../../src-main/contract/types'
import type { DatasetRow } from '../../../src-main/db/queries/dataset-rows'
import type { DataCard, SplitMetrics } from '../../../src-main/report/report-data'
import { knownLimits, type LimitsInput } from '../../../src-main/report/report-limits'

// The limits are derived from plain numbers; these are the cases a small real project cannot easily
// produce (imbalance, no test split, a duplicate group across splits).

const row = (classId: number | null, width: number, height: number) => ({ classId, width, height }) as DatasetRow

function card(train: Record<string, number>, leakageSplit = 0): DataCard {
  return {
    splits: ['train', 'val'],
    classes: Object.entries(train).map(([name, n]) => ({ name, counts: { train: n, val: 2 }, total: n + 2 })),
    labelOrigins: [],
    splitOrigins: [],
    exactDuplicates: { groups: 0, images: 0 },
    leakage: { groups: leakageSplit, images: 2 * leakageSplit, split: leakageSplit },
    flagged: 0,
    leftOut: { failed: 0, missing: 0, unlabeled: 0 }
  }
}

const val = { split: 'val', evaluation: { count: 4, stale: false, unscored: 0 }, perClass: [] } as unknown as SplitMetrics

function limits(overrides: Partial<LimitsInput>): string[] {
  return knownLimits({
    run: { settings: { classWeights: false, oversample: false } } as unknown as RunSummary,
    input: { width: 32, height: 32, channels: 3, scaling: '', description: '' },
    rows: [],
    data: card({ a: 10, b: 10 }),
    metrics: [val],
    imported: false,
    ...overrides
  })
}

describe('knownLimits', () => {
  it('counts labeled images smaller than the input, as a share of the labeled ones', () => {
    const found = limits({ rows: [row(1, 20, 40), row(1, 64, 64), row(2, 64, 31), row(null, 8, 8)] })
    expect(found).toContain("2 labeled images (66.7 %) are smaller than the model's input size (32 px) and were upscaled: fine detail the model sees there is interpolated.")
  })

  it('says when there is no test split, and when training data is imbalanced', () => {
    const found = limits({ data: card({ cats: 30, dogs: 6 }) })
    expect(found[0]).toMatch(/^No test split/)
    expect(found).toContain('Imbalanced training data: cats has 5.0× as many training images as dogs (30 against 6).')
    expect(limits({}).some((line) => line.startsWith('Imbalanced'))).toBe(false)
  })

  it('names classes without training images, duplicate groups across splits and imported models', () => {
    const found = limits({ data: card({ cats: 30, dogs: 0 }, 2), imported: true })
    expect(found).toContain('No training images for dogs (current labels).')
    expect(found.some((line) => line.startsWith('2 groups of near-duplicate images span more than one split'))).toBe(true)
    expect(found.at(-1)).toMatch(/^Trained outside Pictor/)
  })
})
