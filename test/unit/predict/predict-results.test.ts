import { describe, expect, it } from 'vitest'
import type { PredictionRow } from '../../../src-main/export/predict-folder'
import { csvHeader, csvRow } from '../../../src-main/export/prediction-csv'
import { PredictResults, type PageRequest } from '../../../src-main/export/predict-results'
import { KEEP_PREDICTIONS, PredictStore } from '../../../src-main/export/predict-store'

// The rows the app keeps for a prediction (main side, compact): pages, filters, sorting, per-class
// counts and the CSV, checked against the same rows kept whole. Probabilities are float32 values, as
// models give them, so the compact copy is exact.

const LABELS = ['bluebell', 'daisy', 'tigerlily']
const f32 = (value: number) => Math.fround(value)

/** `count` rows cycling through the classes, confidence falling from 0.99, every 7th unreadable. */
function makeRows(count: number): PredictionRow[] {
  return Array.from({ length: count }, (_, index) => {
    const path = `folder ${Math.floor(index / 10)}/img,${index}.jpg`
    if (index % 7 === 3) return { path, top: [], error: 'CORRUPT: premature end of JPEG' }
    const best = f32(0.99 - (index % 50) / 100)
    const label = LABELS[index % 3]!
    const second = LABELS[(index + 1) % 3]!
    return { path, top: [{ label, probability: best }, { label: second, probability: f32(1 - best) }], error: null }
  })
}

function fed(rows: PredictionRow[], batch = 32): PredictResults {
  const results = new PredictResults('job-1', '/photos', { kind: 'run', runId: 4 })
  results.receive({ type: 'ready', labels: LABELS, engine: 'onnxruntime', top: 2 })
  results.receive({ type: 'files', count: rows.length })
  for (let start = 0; start < rows.length; start += batch) results.receive({ type: 'rows', rows: rows.slice(start, start + batch) })
  return results
}

const request = (overrides: Partial<PageRequest> = {}): PageRequest => ({ offset: 0, limit: 100, filter: {}, sort: 'path', descending: false, ...overrides })

describe('PredictResults', () => {
  const rows = makeRows(1000)
  const results = fed(rows)

  it('gives back every row exactly as predicted, a page at a time, with its index', () => {
    const seen: PredictionRow[] = []
    for (let offset = 0; offset < 1000; offset += 64) {
      const page = results.page(request({ offset, limit: 64 }))
      expect(page.matched).toBe(1000)
      page.rows.forEach((row, position) => expect(row.index).toBe(offset + position))
      seen.push(...page.rows.map(({ path, top, error }) => ({ path, top, error })))
    }
    expect(seen).toEqual(rows)
    expect(results.page(request({ offset: 990, limit: 100 })).rows).toHaveLength(10)
    expect(results.page(request({ offset: 5000 })).rows).toEqual([])
  })

  it('counts rows per best class and unreadable ones, whatever the filter', () => {
    const page = results.page(request({ filter: { label: 'daisy' }, limit: 0 }))
    const unreadable = rows.filter((row) => row.error !== null).length
    expect(page.unreadable).toBe(unreadable)
    expect(page.counts).toEqual(LABELS.map((label) => ({ label, count: rows.filter((row) => row.top[0]?.label === label).length })))
    expect(page.counts.reduce((sum, entry) => sum + entry.count, 0) + unreadable).toBe(1000)
    expect(page).toMatchObject({ files: 1000, received: 1000, engine: 'onnxruntime', top: 2, labels: LABELS, state: 'running', source: { kind: 'run', runId: 4 } })
  })

  it('filters by best class and confidence range, and by unreadable', () => {
    const all = (filter: PageRequest['filter']) => results.page(request({ filter, limit: 1000 })).rows
    const daisyConfident = all({ label: 'daisy', minConfidence: 0.8 })
    expect(daisyConfident.map((row) => row.path)).toEqual(rows.filter((row) => row.top[0]?.label === 'daisy' && row.top[0].probability >= 0.8).map((row) => row.path))
    expect(daisyConfident.length).toBeGreaterThan(10)
    const unsure = all({ minConfidence: 0.5, maxConfidence: 0.6 })
    expect(unsure.length).toBeGreaterThan(0)
    expect(unsure.every((row) => row.top[0]!.probability >= 0.5 && row.top[0]!.probability <= 0.6)).toBe(true)
    expect(all({ unreadable: true }).every((row) => row.error !== null && row.top.length === 0)).toBe(true)
    expect(all({ unreadable: false })).toHaveLength(1000 - results.page(request()).unreadable)
    expect(all({ label: 'no such class' })).toEqual([])
  })

  it('sorts by confidence either way, unreadable rows below every predicted one', () => {
    const ascending = results.page(request({ sort: 'confidence', limit: 1000 })).rows
    const confidence = (row: (typeof ascending)[number]) => row.top[0]?.probability ?? -1
    for (let i = 1; i < ascending.length; i++) expect(confidence(ascending[i]!)).toBeGreaterThanOrEqual(confidence(ascending[i - 1]!))
    expect(ascending[0]!.error).not.toBeNull()
    const descending = results.page(request({ sort: 'confidence', descending: true, limit: 5 })).rows
    expect(descending[0]!.top[0]!.probability).toBeCloseTo(0.99, 6)
  })

  it('pages rows that arrive while a filter is shown (the order is rebuilt for new rows)', () => {
    const growing = fed(makeRows(100))
    expect(growing.page(request({ filter: { label: 'bluebell' } })).matched).toBe(makeRows(100).filter((row) => row.top[0]?.label === 'bluebell').length)
    growing.receive({ type: 'rows', rows: makeRows(200).slice(100) })
    expect(growing.page(request({ filter: { label: 'bluebell' } })).matched).toBe(makeRows(200).filter((row) => row.top[0]?.label === 'bluebell').length)
  })

  it("writes the CSV of `pictor predict --csv`, byte for byte, all rows or the filtered ones", () => {
    expect([...results.csv({})].join('')).toBe(csvHeader(2) + rows.map((row) => csvRow(row, 2)).join(''))
    const unsure = rows.filter((row) => row.error === null && row.top[0]!.probability <= 0.5)
    expect([...results.csv({ maxConfidence: 0.5 })].join('')).toBe(csvHeader(2) + unsure.map((row) => csvRow(row, 2)).join(''))
    expect(results.count({ maxConfidence: 0.5 })).toBe(unsure.length)
  })

  it('finishes with its state, error and speed', () => {
    const ended = fed(makeRows(10))
    ended.finish('failed', { error: 'the model crashed' })
    expect(ended.page(request())).toMatchObject({ state: 'failed', error: 'the model crashed', imagesPerSecond: null })
  })
})

describe('PredictStore', () => {
  it('keeps the newest few predictions and never a running one’s place; finds files by job and row only', () => {
    const store = new PredictStore()
    const made: PredictResults[] = []
    for (let index = 0; index < KEEP_PREDICTIONS + 2; index++) {
      const results = new PredictResults(`job-${index}`, `/photos/${index}`, { kind: 'model', path: '/models/m.onnx' })
      results.receive({ type: 'ready', labels: LABELS, engine: 'onnxruntime', top: 1 })
      results.receive({ type: 'rows', rows: [{ path: 'a/b.jpg', top: [{ label: 'daisy', probability: 0.5 }], error: null }] })
      if (index > 0) results.finish('done')
      store.add(results)
      made.push(results)
    }
    // job-0 is still running: kept; the oldest finished ones went.
    expect(store.get('job-0')).toBe(made[0])
    expect(() => store.get('job-1')).toThrow('job job-1 does not exist')
    expect(store.latest()).toBe(made.at(-1))
    expect(store.fileFor('job-0', 0)).toEqual({ folder: '/photos/0', path: '/photos/0/a/b.jpg' })
    expect(store.fileFor('job-0', 1)).toBeNull()
    expect(store.fileFor('job-1', 0)).toBeNull()
  })
})
