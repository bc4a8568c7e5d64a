// The training charts' axes: round tick values whose labels are short and never repeat, and whole
// epochs on the x axis (a batch-loss point at epoch 2.4 sits between the ticks, it gets none).

export interface Axis {
  min: number
  max: number
  ticks: number[]
  /** Decimals that tell every tick apart, and no more. */
  decimals: number
}

/** A round step (1, 2, 2.5 or 5 × 10^k) at least `span / intervals`. */
function niceStep(span: number, intervals: number): number {
  const raw = span / intervals
  const power = 10 ** Math.floor(Math.log10(raw))
  const fraction = raw / power
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
  return nice * power
}

/** Decimals that write `step` exactly (0.25 → 2, 0.2 → 1, 5 → 0). */
function decimalsOf(step: number): number {
  for (let decimals = 0; decimals < 12; decimals++) {
    const scaled = step * 10 ** decimals
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return decimals
  }
  return 12
}

/**
 * The y axis for values in [`low`, `high`]: widened to round ticks about `intervals` apart. An empty
 * or flat range (before the first point, or a loss stuck at one value) gets [0, 1] or a unit around
 * the value, never five ticks that all read the same.
 */
export function valueAxis(low: number, high: number, intervals = 4): Axis {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return valueAxis(0, 1, intervals)
  if (high - low < 1e-9) return low === 0 ? valueAxis(0, 1, intervals) : valueAxis(Math.min(0, low), Math.max(0, high) || 1, intervals)
  const step = niceStep(high - low, intervals)
  const min = Math.floor(low / step + 1e-9) * step
  const max = Math.ceil(high / step - 1e-9) * step
  const count = Math.round((max - min) / step)
  const ticks = Array.from({ length: count + 1 }, (_, index) => min + index * step)
  return { min, max, ticks, decimals: decimalsOf(step) }
}

/** The epoch axis from 0 to at least `last`: whole epochs, one in 1, 2, 5, 10, 20… so there are at most `maxTicks`. */
export function epochAxis(last: number, maxTicks = 10): Axis {
  const end = Math.max(1, Math.ceil(last - 1e-9))
  let step = 1
  for (let power = 1; Math.floor(end / step) + 1 > maxTicks; ) {
    const next = [1, 2, 5].map((factor) => factor * power).find((candidate) => candidate > step)
    if (next === undefined) power *= 10
    else step = next
  }
  const max = Math.ceil(end / step) * step
  const ticks = Array.from({ length: max / step + 1 }, (_, index) => index * step)
  return { min: 0, max, ticks, decimals: 0 }
}

/** A tick's label: `decimals` places, or a percentage with as many as the step needs. */
export function tickLabel(value: number, axis: Axis, percent: boolean): string {
  if (!percent) return value.toFixed(axis.decimals)
  return `${(value * 100).toFixed(Math.max(0, axis.decimals - 2))}%`
}
