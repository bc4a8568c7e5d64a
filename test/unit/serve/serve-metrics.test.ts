// GET /metrics is read by Prometheus, not by us: the text must parse as the exposition format (HELP and
// TYPE before each family, label sets, histogram buckets that grow, _sum and _count), carry what was
// recorded, and two servers in one process must not share (or clash over) a registry.
import { describe, expect, it } from 'vitest'
import { createServeMetrics } from '../../../src-main/serve/serve-metrics.js'
import type { DriftReport } from '../../../src-main/serve/serve-types.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}
interface Family {
  help: string
  type: string
  samples: Sample[]
}

/** A strict reader of the Prometheus text format (0.0.4): every line is HELP, TYPE or a sample of a declared family. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const familyOf = (sample: string) => {
    if (families.has(sample)) return families.get(sample)!
    const base = sample.replace(/_(bucket|sum|count|total|created)$/, '')
    return families.get(base) ?? families.get(sample.replace(/_total$/, ''))
  }
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string]
      const family = families.get(name) ?? { help: '', type: '', samples: [] }
      if (kind === 'HELP') family.help = rest
      else family.type = rest
      families.set(name, family)
      continue
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!sample) throw new Error(`not an exposition line: ${line}`)
    const [, name, labelText, valueText] = sample as unknown as [string, string, string | undefined, string]
    const labels: Record<string, string> = {}
    for (const pair of labelText ? labelText.match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [] : []) {
      const eq = pair.indexOf('=')
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1)
    }
    // Prometheus parses values as Go floats: NaN in any case (prom-client writes "Nan" before the first lag sample), ±Inf.
    const special: Record<string, number> = { '+inf': Infinity, '-inf': -Infinity, nan: Number.NaN }
    const value = special[valueText.toLowerCase()] ?? Number(valueText)
    if (Number.isNaN(value) && valueText.toLowerCase() !== 'nan') throw new Error(`not a number: ${line}`)
    const family = familyOf(name)
    if (!family) throw new Error(`sample before its HELP/TYPE: ${line}`)
    family.samples.push({ name, labels, value })
  }
  return families
}

const driftReport = (drift: boolean): DriftReport => ({
  observed: 420,
  windowSize: 500,
  minimumObserved: 100,
  classPsi: drift ? 0.41 : 0.03,
  lowConfidenceShare: 0.2,
  referenceLowConfidenceShare: 0.05,
  lowConfidenceThreshold: 0.5,
  components: [
    { index: 0, ks: 0.31, pValue: 1e-6 },
    { index: 1, ks: 0.05, pValue: 0.6 }
  ],
  thresholds: { classPsi: 0.25, alpha: 0.01, lowConfidenceIncrease: 0.1 },
  reasons: drift ? ['class_psi', 'features_ks'] : [],
  drift
})

const find = (family: Family | undefined, name: string, labels: Record<string, string> = {}) =>
  family?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value

describe('createServeMetrics', () => {
  it('exposes what was recorded in the Prometheus text format', async () => {
    const metrics = createServeMetrics()
    metrics.request('v2_infer', 200)
    metrics.request('v2_infer', 200)
    metrics.request('predict', 400)
    metrics.duration('end_to_end', 0.004)
    metrics.duration('end_to_end', 0.2)
    metrics.duration('model', 0.003)
    metrics.batch(1)
    metrics.batch(7)
    metrics.batch(32)
    metrics.predictions(['cat', 'dog', 'cat'])
    metrics.drift(driftReport(true))

    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    const families = parseExposition(await metrics.metricsText())
    for (const [name, family] of families) {
      expect(family.help, `${name} HELP`).not.toBe('')
      expect(family.type, `${name} TYPE`).toMatch(/^(counter|gauge|histogram|summary)$/)
    }

    const requests = families.get('pictor_requests_total')
    expect(requests?.type).toBe('counter')
    expect(find(requests, 'pictor_requests_total', { endpoint: 'v2_infer', code: '200' })).toBe(2)
    expect(find(requests, 'pictor_requests_total', { endpoint: 'predict', code: '400' })).toBe(1)

    const predictions = families.get('pictor_predictions_total')
    expect(find(predictions, 'pictor_predictions_total', { label: 'cat' })).toBe(2)
    expect(find(predictions, 'pictor_predictions_total', { label: 'dog' })).toBe(1)

    const duration = families.get('pictor_inference_duration_seconds')
    expect(duration?.type).toBe('histogram')
    const e2eBuckets = duration!.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.stage === 'end_to_end')
    expect(e2eBuckets.map((s) => s.labels.le)).toEqual(['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'])
    expect(find(duration, 'pictor_inference_duration_seconds_bucket', { stage: 'end_to_end', le: '0.005' })).toBe(1)
    expect(find(duration, 'pictor_inference_duration_seconds_bucket', { stage: 'end_to_end', le: '0.25' })).toBe(2)
    const cumulative = e2eBuckets.map((s) => s.value)
    expect(cumulative).toEqual([...cumulative].sort((a, b) => a - b))
    expect(find(duration, 'pictor_inference_duration_seconds_count', { stage: 'end_to_end' })).toBe(2)
    expect(find(duration, 'pictor_inference_duration_seconds_sum', { stage: 'end_to_end' })).toBeCloseTo(0.204, 9)
    expect(find(duration, 'pictor_inference_duration_seconds_count', { stage: 'model' })).toBe(1)

    const batch = families.get('pictor_batch_size')
    expect(batch?.type).toBe('histogram')
    expect(batch!.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => [s.labels.le, s.value])).toEqual([
      ['1', 1], ['2', 1], ['4', 1], ['8', 2], ['16', 2], ['32', 3], ['64', 3], ['128', 3], ['+Inf', 3]
    ])
    expect(find(batch, 'pictor_batch_size_sum')).toBe(40)

    expect(find(families.get('pictor_drift_detected'), 'pictor_drift_detected')).toBe(1)
    expect(find(families.get('pictor_drift_class_psi'), 'pictor_drift_class_psi')).toBeCloseTo(0.41)
    expect(find(families.get('pictor_drift_low_confidence_share'), 'pictor_drift_low_confidence_share')).toBeCloseTo(0.2)
    expect(find(families.get('pictor_drift_features_min_p_value'), 'pictor_drift_features_min_p_value')).toBe(1e-6)
    expect(find(families.get('pictor_drift_window_observed'), 'pictor_drift_window_observed')).toBe(420)
    expect(find(families.get('pictor_drift_window_size'), 'pictor_drift_window_size')).toBe(500)
    expect(find(families.get('pictor_drift_feature_ks'), 'pictor_drift_feature_ks', { component: '0' })).toBeCloseTo(0.31)
    expect(find(families.get('pictor_drift_reason'), 'pictor_drift_reason', { reason: 'class_psi' })).toBe(1)
    expect(find(families.get('pictor_drift_reason'), 'pictor_drift_reason', { reason: 'low_confidence' })).toBe(0)

    // The default process metrics are in the same registry.
    expect(families.get('process_resident_memory_bytes')?.type).toBe('gauge')
    expect(families.get('nodejs_eventloop_lag_seconds')).toBeDefined()
  })

  it('follows the latest drift report: drift cleared, reasons cleared', async () => {
    const metrics = createServeMetrics()
    metrics.drift(driftReport(true))
    metrics.drift(driftReport(false))
    const families = parseExposition(await metrics.metricsText())
    expect(find(families.get('pictor_drift_detected'), 'pictor_drift_detected')).toBe(0)
    expect(find(families.get('pictor_drift_reason'), 'pictor_drift_reason', { reason: 'class_psi' })).toBe(0)
    expect(find(families.get('pictor_drift_class_psi'), 'pictor_drift_class_psi')).toBeCloseTo(0.03)
  })

  it('gives each server its own registry: a second one neither throws nor sees the first one\'s counts', async () => {
    const first = createServeMetrics()
    first.request('predict', 200)
    first.predictions(['cat'])
    const second = createServeMetrics()
    second.request('health', 200)
    const a = parseExposition(await first.metricsText())
    const b = parseExposition(await second.metricsText())
    expect(find(a.get('pictor_requests_total'), 'pictor_requests_total', { endpoint: 'predict', code: '200' })).toBe(1)
    expect(find(b.get('pictor_requests_total'), 'pictor_requests_total', { endpoint: 'predict', code: '200' })).toBeUndefined()
    expect(find(b.get('pictor_requests_total'), 'pictor_requests_total', { endpoint: 'health', code: '200' })).toBe(1)
    expect(b.get('pictor_predictions_total')?.samples ?? []).toEqual([])
  })
})
