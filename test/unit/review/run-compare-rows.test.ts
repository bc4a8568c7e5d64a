import { describe, expect, it } from 'vitest'
import type { ComparedRun } from '../../../src-main/contract/run-compare'
import type { ClassMetrics } from '../../../src-main/contract/types'
import { classRows, points, settingText, sortRows } from '../../../src-renderer/src/lib/run-compare-rows'

// The Train view's per-class comparison table: rows matched by class id across runs, deltas against
// the first run, and the order a click on a delta column gives.

const metrics = (classId: number, name: string, f1: number | null, recall: number | null = f1): ClassMetrics => ({ classId, name, precision: f1, recall, f1, support: 4 })

function run(id: number, perClass: ClassMetrics[] | null): ComparedRun {
  return {
    id,
    modelKind: 'cnn',
    status: 'done',
    settings: {},
    epochs: [],
    summary: { valAccuracy: null, testAccuracy: null },
    hasModel: true,
    evaluation: perClass && { accuracy: 0.5, count: 8, stale: false, computedAt: 1, perClass }
  }
}

describe('classRows', () => {
  // Run 1 (baseline) knows cat and dog; run 2 cat, dog and fox (a class run 1 never had); run 3 is not evaluated.
  const runs = [
    run(1, [metrics(10, 'cat', 0.5), metrics(11, 'dog', 0.8)]),
    run(2, [metrics(11, 'dog', 0.6), metrics(10, 'cat', 0.75), metrics(12, 'fox', 1)]),
    run(3, null)
  ]

  it('matches classes by id, not by output position, and leaves a class a run lacks empty', () => {
    expect(classRows(runs, 'f1')).toEqual([
      { classId: 10, name: 'cat', values: [0.5, 0.75, null], deltas: [null, 0.25, null] },
      { classId: 11, name: 'dog', values: [0.8, 0.6, null], deltas: [null, expect.closeTo(-0.2, 12), null] },
      { classId: 12, name: 'fox', values: [null, 1, null], deltas: [null, null, null] }
    ])
  })

  it('reads the metric asked for', () => {
    const recall = classRows([run(1, [metrics(10, 'cat', 0.5, 0.9)]), run(2, [metrics(10, 'cat', 0.4, 0.3)])], 'recall')
    expect(recall[0]).toMatchObject({ values: [0.9, 0.3], deltas: [null, expect.closeTo(-0.6, 12)] })
  })

  it('sorts by a run\'s delta, largest first or last, with rows that have none after the rest', () => {
    const rows = classRows(runs, 'f1')
    expect(sortRows(rows, { by: 'delta', runIndex: 1, descending: true }).map((row) => row.name)).toEqual(['cat', 'dog', 'fox'])
    expect(sortRows(rows, { by: 'delta', runIndex: 1, descending: false }).map((row) => row.name)).toEqual(['dog', 'cat', 'fox'])
    expect(sortRows(rows, { by: 'class' }).map((row) => row.name)).toEqual(['cat', 'dog', 'fox'])
  })
})

describe('formatting', () => {
  it('writes deltas in signed percentage points and missing values as a dash', () => {
    expect([points(0.25), points(-0.2), points(0.00001), points(null)]).toEqual(['+25.0', '−20.0', '0.0', '—'])
    expect([settingText({ a: true }, 'a'), settingText({ a: null }, 'a'), settingText({ a: 0.001 }, 'a'), settingText({}, 'a')]).toEqual(['on', 'auto', '0.001', '—'])
  })
})
