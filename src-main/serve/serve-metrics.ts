// What `pictor serve` tells Prometheus (GET /metrics): latency per stage, requests per endpoint and
// status, predictions per label, batch sizes, the drift monitor's latest verdict as gauges, and the
// process's own figures. Each server gets a registry of its own, so two servers in one process (the
// app's serve worker, or tests) never clash over a metric name.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { DriftReport, ServeMetricsSink } from './serve-types.js'

/** 1 ms to 10 s: a 224 px image answers in milliseconds, a full batch of large photos in seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Powers of two up to the largest --max-batch worth running. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128]

export interface ServeMetrics extends ServeMetricsSink {
  /** The Prometheus text exposition of every metric in this server's registry. */
  metricsText(): Promise<string>
  /** The Content-Type GET /metrics answers with. */
  readonly contentType: string
}

export function createServeMetrics(): ServeMetrics {
  const registry = new Registry()
  // Process CPU, memory, event-loop lag, GC: what an operator checks first when latency climbs.
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const duration = new Histogram({
    name: 'pictor_inference_duration_seconds',
    help: 'Seconds per request end to end (stage="end_to_end") and per batched model call (stage="model").',
    labelNames: ['stage'] as const,
    buckets: LATENCY_BUCKETS,
    registers
  })
  const requests = new Counter({
    name: 'pictor_requests_total',
    help: 'HTTP requests answered, by endpoint family and status code.',
    labelNames: ['endpoint', 'code'] as const,
    registers
  })
  const predictions = new Counter({
    name: 'pictor_predictions_total',
    help: 'Images answered, by predicted label.',
    labelNames: ['label'] as const,
    registers
  })
  const batchSize = new Histogram({
    name: 'pictor_batch_size',
    help: 'Images per model call (dynamic batching gathers concurrent requests).',
    buckets: BATCH_BUCKETS,
    registers
  })
  const drift = driftGauges(registers)

  return {
    contentType: registry.contentType,
    metricsText: () => registry.metrics(),
    request: (endpoint, code) => requests.inc({ endpoint, code: String(code) }),
    duration: (stage, seconds) => duration.observe({ stage }, seconds),
    batch: (size) => batchSize.observe(size),
    predictions(labels) {
      // One increment per distinct label: a batch of 32 cats is one call, not 32.
      const counts = new Map<string, number>()
      for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1)
      for (const [label, count] of counts) predictions.inc({ label }, count)
    },
    drift: (report) => drift.set(report)
  }
}

/** The pictor_drift_* gauges: the latest DriftReport, one figure each (thresholds too, for alert rules). */
function driftGauges(registers: Registry[]): { set(report: DriftReport): void } {
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name: `pictor_drift_${name}`, help, labelNames, registers })
  const detected = gauge('detected', '1 when the drift monitor flags the recent window as drifted, else 0.')
  const reason = gauge('reason', '1 for each test that fired in the latest report (class_psi, features_ks, low_confidence), else 0.', ['reason'])
  const classPsi = gauge('class_psi', 'Population stability index of predicted-class shares against the training labels.')
  const classPsiThreshold = gauge('class_psi_threshold', 'The class PSI above which drift is flagged.')
  const lowShare = gauge('low_confidence_share', 'Share of recent predictions whose top probability is below the threshold.')
  const refLowShare = gauge('reference_low_confidence_share', 'The same share on the training images.')
  const minP = gauge('features_min_p_value', 'Smallest Kolmogorov-Smirnov p-value over the feature components (1 when the model gives no features).')
  const alpha = gauge('features_alpha', 'Family-wise significance level of the KS tests (Bonferroni-corrected across components).')
  const componentKs = gauge('feature_ks', 'Two-sample KS statistic per principal component against the training images.', ['component'])
  const observed = gauge('window_observed', 'Images in the sliding window now.')
  const windowSize = gauge('window_size', 'Images the sliding window holds at most.')
  const reasons = ['class_psi', 'features_ks', 'low_confidence']

  return {
    set(report) {
      detected.set(report.drift ? 1 : 0)
      for (const name of new Set([...reasons, ...report.reasons])) reason.set({ reason: name }, report.reasons.includes(name) ? 1 : 0)
      classPsi.set(report.classPsi)
      classPsiThreshold.set(report.thresholds.classPsi)
      lowShare.set(report.lowConfidenceShare)
      refLowShare.set(report.referenceLowConfidenceShare)
      minP.set(report.components.reduce((min, c) => Math.min(min, c.pValue), 1))
      alpha.set(report.thresholds.alpha)
      componentKs.reset()
      for (const c of report.components) componentKs.set({ component: String(c.index) }, c.ks)
      observed.set(report.observed)
      windowSize.set(report.windowSize)
    }
  }
}
