// Inline SVG line charts for the report: axes with ticks, one polyline per series and a legend. No
// script, no fonts to fetch: it prints the same on paper as on screen.
import { escapeHtml, raw, type Markup } from './html'

export interface Series {
  name: string
  color: string
  /** Dashed line (validation against the solid training line), so it reads in black and white. */
  dashed?: boolean
  /** y per x; null where the series has no value (no validation split). */
  points: { x: number; y: number | null }[]
}

export interface ChartOptions {
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
  /** Fixed y range (accuracy: [0, 1]); otherwise from the data, starting at 0. */
  yRange?: [number, number]
  /** Tick label of a y value (e.g. as a percentage). */
  formatY?: (value: number) => string
  formatX?: (value: number) => string
}

const WIDTH = 520
const HEIGHT = 260
const MARGIN = { left: 56, right: 16, top: 28, bottom: 62 }

const round = (value: number) => Math.round(value * 10) / 10

/** About `count` round tick values from `low` to `high`. */
export function ticks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low]
  const rough = (high - low) / count
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= rough) ?? rough
  const values: number[] = []
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) values.push(+value.toPrecision(12))
  return values
}

export function lineChart(options: ChartOptions): Markup {
  const all = options.series.flatMap((series) => series.points)
  const xs = all.map((point) => point.x)
  const ys = all.flatMap((point) => (point.y === null || !Number.isFinite(point.y) ? [] : [point.y]))
  const [xMin, xMax] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1]
  const [yMin, yMax] = options.yRange ?? [0, ys.length ? Math.max(...ys) * 1.05 || 1 : 1]
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom
  const sx = (x: number) => round(MARGIN.left + (xMax === xMin ? plotW / 2 : ((x - xMin) / (xMax - xMin)) * plotW))
  const sy = (y: number) => round(MARGIN.top + plotH - ((Math.min(Math.max(y, yMin), yMax) - yMin) / (yMax - yMin || 1)) * plotH)
  const fy = options.formatY ?? ((value: number) => String(+value.toPrecision(3)))
  const fx = options.formatX ?? ((value: number) => String(value))
  const xTicks = xs.length ? ticks(xMin, xMax, Math.min(8, Math.max(1, xMax - xMin))).filter((x) => Number.isInteger(x) || options.formatX) : []
  const parts: string[] = []
  parts.push(`<text x="${WIDTH / 2}" y="16" text-anchor="middle" class="chart-title">${escapeHtml(options.title)}</text>`)
  for (const y of ticks(yMin, yMax)) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(y)}" y2="${sy(y)}" class="grid"/>`)
    parts.push(`<text x="${MARGIN.left - 6}" y="${sy(y) + 4}" text-anchor="end">${escapeHtml(fy(y))}</text>`)
  }
  for (const x of xTicks) parts.push(`<text x="${sx(x)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${escapeHtml(fx(x))}</text>`)
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" class="axis"/>`)
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" class="axis"/>`)
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 32}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`)
  parts.push(`<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`)
  options.series.forEach((series, index) => {
    const points = series.points.filter((point) => point.y !== null && Number.isFinite(point.y))
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : ''
    if (points.length > 1) {
      const path = points.map((point) => `${sx(point.x)},${sy(point.y!)}`).join(' ')
      parts.push(`<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`)
    }
    for (const point of points) parts.push(`<circle cx="${sx(point.x)}" cy="${sy(point.y!)}" r="2.5" fill="${series.color}"/>`)
    const lx = MARGIN.left + index * 150
    const ly = HEIGHT - 10
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${series.color}" stroke-width="2"${dash}/>`)
    parts.push(`<text x="${lx + 30}" y="${ly}">${escapeHtml(series.name)}${points.length === 0 ? ' (none)' : ''}</text>`)
  })
  return raw(
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(options.title)}">${parts.join('')}</svg>`
  )
}
