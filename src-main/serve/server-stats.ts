// A running server's recent history for the Monitor view: the last 1000 requests (time, latency,
// status), the last 500 predicted labels, and a drift point every 10 s. Fixed-size rings, so a
// server that runs for weeks holds no more than one that started a minute ago.
import type { DriftMonitorLike, DriftReference, DriftReport, ServerStats } from './serve-types'

const REQUESTS_KEPT = 1000
const LABELS_KEPT = 500
const DRIFT_POINTS_KEPT = 360
export const DRIFT_SAMPLE_MS = 10_000
/** Latency histogram upper bounds in seconds; the last bucket also counts everything slower (finite, so it survives JSON). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

class Ring<T> {
  private readonly items: T[] = []
  private next = 0
  constructor(private readonly size: number) {}
  push(item: T): void {
    if (this.items.length < this.size) this.items.push(item)
    else this.items[this.next] = item
    this.next = (this.next + 1) % this.size
  }
  values(): T[] {
    return this.items
  }
}

export interface StatsSource {
  url: string
  name: string
  labels: readonly string[]
  reference: DriftReference | null
  drift: DriftMonitorLike | null
  /** Each drift sample also goes to the metrics' gauges. */
  onDriftSample?: (report: DriftReport) => void
}

export class ServerStatsRecorder {
  readonly startedAt = Date.now()
  private requests = 0
  private errors = 0
  private readonly recent = new Ring<{ at: number; seconds: number }>(REQUESTS_KEPT)
  private readonly labels = new Ring<number>(LABELS_KEPT)
  private readonly driftPoints = new Ring<{ at: number; drift: boolean; classPsi: number }>(DRIFT_POINTS_KEPT)
  private readonly sampler: NodeJS.Timeout | null

  constructor(private readonly source: StatsSource) {
    this.sampler = source.drift ? setInterval(() => this.sampleDrift(), DRIFT_SAMPLE_MS) : null
    this.sampler?.unref()
  }

  request(status: number, seconds: number): void {
    this.requests++
    if (status >= 400) this.errors++
    this.recent.push({ at: Date.now(), seconds })
  }

  predicted(classIndexes: readonly number[]): void {
    for (const index of classIndexes) this.labels.push(index)
  }

  /** One drift report now, kept as a point of the history (and given to the metrics). */
  sampleDrift(): DriftReport | null {
    const monitor = this.source.drift
    if (!monitor) return null
    try {
      const report = monitor.report()
      this.driftPoints.push({ at: Date.now(), drift: report.drift, classPsi: report.classPsi })
      this.source.onDriftSample?.(report)
      return report
    } catch (error) {
      console.error(`pictor serve: the drift report failed: ${(error as Error).message}`)
      return null
    }
  }

  stop(): void {
    if (this.sampler) clearInterval(this.sampler)
  }

  snapshot(): ServerStats {
    const now = Date.now()
    const recent = this.recent.values()
    const lastTen = recent.filter((entry) => entry.at > now - 10_000).length
    const window = Math.min(10, Math.max((now - this.startedAt) / 1000, 1e-3))
    const sorted = recent.map((entry) => entry.seconds).sort((a, b) => a - b)
    const served = this.labels.values()
    const counts = new Array<number>(this.source.labels.length).fill(0)
    for (const index of served) counts[index] = (counts[index] ?? 0) + 1
    const shares = this.source.reference
    let drift: DriftReport | null
    try {
      drift = this.source.drift?.report() ?? null
    } catch {
      drift = null
    }
    return {
      url: this.source.url,
      name: this.source.name,
      startedAt: this.startedAt,
      requests: this.requests,
      errors: this.errors,
      requestRate: lastTen / window,
      latency: sorted.length === 0 ? null : { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99) },
      latencyHistogram: LATENCY_BUCKETS.map((le, index) => ({
        le,
        count: sorted.filter((seconds) => (seconds <= le || index === LATENCY_BUCKETS.length - 1) && (index === 0 || seconds > LATENCY_BUCKETS[index - 1]!)).length
      })),
      classMix: this.source.labels.map((label, index) => {
        const at = shares ? shares.labels.indexOf(label) : -1
        return { label, served: served.length === 0 ? 0 : counts[index]! / served.length, training: at >= 0 ? (shares!.classShares[at] ?? 0) : 0 }
      }),
      drift,
      driftHistory: [...this.driftPoints.values()].sort((a, b) => a.at - b.at)
    }
  }
}

/** Nearest-rank quantile of ascending values. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
