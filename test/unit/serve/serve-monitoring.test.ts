import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DriftMonitor } from '../../../src-main/serve/drift/drift-monitor'
import { driftReferenceForRun } from '../../../src-main/serve/drift/reference-for-run'
import { createServeMetrics } from '../../../src-main/serve/serve-metrics'
import { loadServeModel } from '../../../src-main/serve/serve-model'
import { startModelServer } from '../../../src-main/serve/start-server'
import type { DriftReference, DriftReport, RunningServer } from '../../../src-main/serve/serve-types'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { withProjectDbAsync } from '../export/trained-run'
import { bluePng, redPng, serveFixture } from './serve-fixture'

// The server feeds what it answers to its metrics and its drift monitor: a run served with its
// drift reference counts requests, batches, predictions per label and latency for /metrics, the
// monitor observes every answered image (with the run's features), and stats() shows the class mix
// against the training shares.

let dir: string
let server: RunningServer
let reference: DriftReference

beforeAll(async () => {
  dir = makeTempDir('pictor-serve-monitoring-')
  const fixture = await serveFixture(dir)
  const modelsDir = join(dir, 'no-models')
  reference = await withProjectDbAsync(fixture.projectPath, (db) => driftReferenceForRun(db, fixture.runId, { modelsDir }))
  const model = await loadServeModel({ project: fixture.projectPath }, { modelsDir, name: 'colours' })
  server = await startModelServer({ model, port: 0, maxBatch: 4, batchDelayMs: 5, metrics: createServeMetrics(), drift: new DriftMonitor(reference), reference })
}, 120_000)

afterAll(async () => {
  await server?.close()
  removeTempDir(dir)
})

describe('monitoring a served run', () => {
  it('counts for /metrics, observes for drift, and reports the class mix against training', async () => {
    const images = await Promise.all(Array.from({ length: 12 }, (_, index) => (index < 9 ? redPng(300 + index) : bluePng(300 + index))))
    const answers = await Promise.all(images.map((body) => fetch(`${server.url}/predict`, { method: 'POST', body })))
    expect(answers.every((answer) => answer.status === 200)).toBe(true)

    const drift = (await (await fetch(`${server.url}/v2/models/colours/drift`)).json()) as DriftReport
    expect(drift.observed).toBe(12)
    // The run has features, so the monitor compares them: one KS test per principal component.
    expect(drift.components.length).toBe(reference.features!.components.length)
    expect(drift.components.length).toBeGreaterThan(0)

    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toMatch(/pictor_requests_total\{[^}]*endpoint="predict"[^}]*\} 12/)
    expect(text).toMatch(/pictor_predictions_total\{label="red"\} 9/)
    expect(text).toMatch(/pictor_predictions_total\{label="blue"\} 3/)
    expect(text).toMatch(/pictor_batch_size_sum 12/)
    expect(text).toMatch(/pictor_inference_duration_seconds_count\{stage="model"\} \d+/)
    expect(text).toMatch(/pictor_drift_/)

    const stats = server.stats()
    expect(stats.drift?.observed).toBe(12)
    const red = stats.classMix.find((entry) => entry.label === 'red')!
    expect(red.served).toBeCloseTo(9 / 12, 9)
    expect(red.training).toBeCloseTo(reference.classShares[reference.labels.indexOf('red')]!, 9)
    expect(red.training).toBeGreaterThan(0)
  })
})
