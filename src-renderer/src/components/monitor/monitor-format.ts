// Figures of the Monitor view in words and bars: latency in ms, shares in %, histogram buckets.

/** 0.0123 → "12.3 ms"; under 1 ms with two decimals. */
export function milliseconds(seconds: number): string {
  const ms = seconds * 1000
  return ms < 1 ? `${ms.toFixed(2)} ms` : ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`
}

/**
 * The server's histogram buckets (upper bounds in seconds, counts per bucket; the last bound may be
 * +Inf, which JSON carries as null) as labelled bars. Empty buckets past the last non-empty one are
 * left out so the bars use the width.
 */
export function latencyBars(buckets: readonly { le: number | null; count: number }[]): { label: string; count: number }[] {
  let last = buckets.length - 1
  while (last > 0 && buckets[last]!.count === 0) last--
  return buckets.slice(0, last + 1).map((bucket) => ({
    label: bucket.le !== null && Number.isFinite(bucket.le) ? `≤${milliseconds(bucket.le)}` : 'more',
    count: bucket.count
  }))
}
