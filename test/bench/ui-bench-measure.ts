// The measurements of `npm run bench:ui` (see ui-bench.ts), driven through Playwright and read back from
// the in-page probes (ui-bench-probes.ts): first grid paint, label keys, cursor keys, scrolling.
import type { Page } from '@playwright/test'
import type { GeneratedProject } from './ui-bench-project'
import type { FirstPaintRecord, LabelRecord, LongTask, ProbedPage, Resource, ScrollRecord } from './ui-bench-probes'

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low)
}
export const median = (values: number[]) => quantile(values, 0.5)
export const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 100 ? 1 : 0)} ms` : 'n/a')
export const digits = (text: string) => Number(text.replace(/\D/g, ''))

/** "1 / 49,987 in this filter" → { position: 1, total: 49987 } */
function parseFilter(text: string): { position: number; total: number } {
  const match = /^(.+?)\s*\/\s*(.+?)\s+in this filter/.exec(text)
  if (!match) throw new Error(`unexpected status line: "${text}"`)
  return { position: digits(match[1]!), total: digits(match[2]!) }
}

async function filterText(page: Page): Promise<string> {
  return (await page.evaluate('window.__pictorBench.filterText()')) as string
}

/** Waits until the status line reports `total` images in the current filter. */
async function waitForFilterTotal(page: Page, total: number): Promise<void> {
  // Functions, not strings: the app's CSP forbids eval, which string predicates need.
  await page.waitForFunction(
    (expected) => {
      const text = (globalThis as unknown as ProbedPage).__pictorBench.filterText() as string
      const match = /\/\s*(.+?)\s+in this filter/.exec(text)
      return !!match && Number(match[1]!.replace(/\D/g, '')) === expected
    },
    total,
    { timeout: 60_000 }
  )
}

export async function selectLabelFilter(page: Page, value: string, expectedTotal: number): Promise<void> {
  await page.locator('select[aria-label="Label filter"]').selectOption(value)
  await page.evaluate('window.__pictorBench.blur()') // keys typed into a <select> never label
  await waitForFilterTotal(page, expectedTotal)
}

/** Thumbnails the server sent, and those the browser's HTTP cache answered (memory-cache hits leave no entry). */
export function thumbnailSources(resources: Resource[]): { server: number; httpCache: number } {
  const thumbs = resources.filter((r) => r.path.startsWith('/thumbs/'))
  const httpCache = thumbs.filter((r) => r.transfer === 0 && r.bytes > 0).length
  return { server: thumbs.length - httpCache, httpCache }
}

function summarizeResources(resources: Resource[], t0: number): string {
  const api = resources.filter((r) => r.path.startsWith('/api/call/'))
  const thumbs = resources.filter((r) => r.path.startsWith('/thumbs/'))
  const parts = api.map((r) => `${r.path.slice('/api/call/'.length)} ${ms(r.start - t0)}→${ms(r.end - t0)} (${Math.round(r.bytes / 1024)} KiB)`)
  if (thumbs.length > 0) {
    const firstThumb = thumbs.reduce((a, b) => (a.end < b.end ? a : b))
    const { server, httpCache } = thumbnailSources(resources)
    parts.push(`${server} thumbnails from the server, ${httpCache} from the HTTP cache, first done at ${ms(firstThumb.end - t0)}`)
  } else parts.push('thumbnails from memory cache')
  return parts.join('; ')
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------
export interface FirstPaintResult {
  inPageMs: number
  /** Thumbnails the server sent for this paint (0: every one came from a browser cache). */
  thumbsFromServer: number
  wallMs: number
  record: FirstPaintRecord
  breakdown: string
  longTasks: LongTask[]
}

export async function measureFirstPaint(page: Page): Promise<FirstPaintResult> {
  await page.evaluate('performance.clearResourceTimings(); window.__pictorBench.armFirstPaint()')
  const started = performance.now()
  await page.keyboard.press('Control+2')
  await page.waitForFunction(() => (globalThis as unknown as ProbedPage).__pictorBench.firstPaint.painted !== null, null, { timeout: 60_000 })
  const wallMs = performance.now() - started
  const record = (await page.evaluate('window.__pictorBench.firstPaint')) as FirstPaintRecord
  const resources = (await page.evaluate(`window.__pictorBench.resourcesSince(${record.t0})`)) as Resource[]
  const longTasks = (await page.evaluate(`window.__pictorBench.longTasksSince(${record.t0})`)) as LongTask[]
  const at = (value: number | null) => (value === null ? 'n/a' : ms(value - record.t0))
  const breakdown =
    `grid ${at(record.grid)}, first cell ${at(record.cell)}, its <img> ${at(record.img)}, loaded ${at(record.loaded)}, ` +
    `painted ${at(record.painted)}; ${summarizeResources(resources, record.t0)}; ` +
    `${longTasks.length} long task(s) totalling ${ms(longTasks.reduce((sum, task) => sum + task.duration, 0))}`
  return { inPageMs: record.painted - record.t0, thumbsFromServer: thumbnailSources(resources).server, wallMs, record, breakdown, longTasks }
}

export interface LabelResult {
  paintMs: number[]
  domMs: number[]
  /** Key → the label written by main and shown (the image left the filter), painted. */
  committedMs: number[]
  wallMs: number[]
  callsPerKey: Map<string, number>
  /** Round trip of each contract call made during the run, by method. */
  callMs: Map<string, number[]>
  longTasks: LongTask[]
  before: { position: number; total: number }
  after: { position: number; total: number }
  elapsedMs: number
}

export async function measureLabeling(
  page: Page,
  hotkeys: string[],
  presses: number,
  gapMs: number,
  apiCalls: Map<string, number>
): Promise<LabelResult> {
  const before = parseFilter(await filterText(page))
  const phaseStart = (await page.evaluate('performance.clearResourceTimings(); performance.now()')) as number
  apiCalls.clear()
  const paintMs: number[] = []
  const domMs: number[] = []
  const committedMs: number[] = []
  const wallMs: number[] = []
  const started = performance.now()
  for (let press = 0; press < presses; press++) {
    if (gapMs > 0) await page.waitForTimeout(gapMs)
    await page.evaluate(`window.__pictorBench.armLabel(${before.total - press - 1})`)
    const wallStart = performance.now()
    await page.keyboard.press(hotkeys[press % hotkeys.length]!)
    await page.waitForFunction(() => (globalThis as unknown as ProbedPage).__pictorBench.label.painted !== null, null, { timeout: 30_000 })
    wallMs.push(performance.now() - wallStart)
    // Each key is measured on its own: the next is pressed once this one's label is shown too.
    await page.waitForFunction(() => (globalThis as unknown as ProbedPage).__pictorBench.label.committedPainted !== null, null, { timeout: 30_000 })
    const record = (await page.evaluate('window.__pictorBench.label')) as LabelRecord
    paintMs.push(record.painted - record.t0)
    domMs.push(record.mutated - record.t0)
    committedMs.push(record.committedPainted - record.t0)
  }
  const elapsedMs = performance.now() - started
  // Let the last key's background refreshes land before counting what each key cost.
  await page.waitForTimeout(500)
  const resources = (await page.evaluate(`window.__pictorBench.resourcesSince(${phaseStart})`)) as Resource[]
  const longTasks = (await page.evaluate(`window.__pictorBench.longTasksSince(${phaseStart})`)) as LongTask[]
  const after = parseFilter(await filterText(page))
  return {
    paintMs,
    domMs,
    committedMs,
    wallMs,
    callsPerKey: new Map([...apiCalls].map(([method, count]) => [method, count / presses])),
    callMs: resources
      .filter((r) => r.path.startsWith('/api/call/'))
      .reduce((byMethod, r) => {
        const method = r.path.slice('/api/call/'.length)
        byMethod.set(method, [...(byMethod.get(method) ?? []), r.end - r.start])
        return byMethod
      }, new Map<string, number[]>()),
    longTasks,
    before,
    after,
    elapsedMs
  }
}

/**
 * The same keypress → painted measurement for keys that only move the cursor (→ and ←, in turn):
 * the app's own frame for a keypress with no call to main. The label key's figure cannot beat it.
 */
export async function measureMoves(page: Page, presses: number): Promise<number[]> {
  const paintMs: number[] = []
  for (let press = 0; press < presses; press++) {
    await page.evaluate('window.__pictorBench.armLabel(-1)')
    // Right, left, right…: the cursor stays in the first row, so no key scrolls the grid.
    await page.keyboard.press(press % 2 === 0 ? 'ArrowRight' : 'ArrowLeft')
    await page.waitForFunction(() => (globalThis as unknown as ProbedPage).__pictorBench.label.painted !== null, null, { timeout: 30_000 })
    const record = (await page.evaluate('window.__pictorBench.label')) as LabelRecord
    paintMs.push(record.painted - record.t0)
  }
  return paintMs
}

export interface ScrollResult {
  fps: number
  /** Thumbnails the server sent while scrolling, and those the browser's HTTP cache answered. */
  thumbsFromServer: number
  thumbsFromHttpCache: number
  jankShare: number
  p95IntervalMs: number
  maxIntervalMs: number
  cellsMax: number
  cellsMean: number
  loadingMean: number
  unpaintedMean: number
  distancePx: number
  /** Where the scroll stopped. */
  endPx: number
  longTasks: LongTask[]
  detailCalls: number
}

/**
 * Scrolls for `durationMs` by `stepPx` a frame from `startPx` (placed there first and left to settle for
 * a second, so the jump is not timed), or until `endPx` (to go over the same rows as an earlier scroll).
 */
export async function measureScroll(
  page: Page,
  apiCalls: Map<string, number>,
  scroll: { durationMs: number; stepPx: number; startPx: number; endPx?: number }
): Promise<ScrollResult> {
  const { durationMs, stepPx, startPx, endPx = Number.MAX_SAFE_INTEGER } = scroll
  await page.evaluate(`document.querySelector('[role=listbox][aria-label=Images]').scrollTop = ${startPx}`)
  await page.waitForTimeout(1_000)
  apiCalls.clear()
  const phaseStart = (await page.evaluate('performance.now()')) as number
  const record = (await page.evaluate(`window.__pictorBench.scroll(${durationMs}, ${stepPx}, ${startPx}, ${endPx})`)) as ScrollRecord
  const longTasks = (await page.evaluate(`window.__pictorBench.longTasksSince(${phaseStart})`)) as LongTask[]
  const resources = (await page.evaluate(`window.__pictorBench.resourcesSince(${phaseStart})`)) as Resource[]
  const intervals = record.intervals
  const sources = thumbnailSources(resources)
  return {
    fps: intervals.length / (record.elapsed / 1000),
    thumbsFromServer: sources.server,
    thumbsFromHttpCache: sources.httpCache,
    jankShare: intervals.filter((interval) => interval > 20).length / Math.max(1, intervals.length),
    p95IntervalMs: quantile(intervals, 0.95),
    maxIntervalMs: Math.max(...intervals),
    cellsMax: record.cellsMax,
    cellsMean: record.cellsSum / record.frames,
    loadingMean: record.loadingSum / record.frames,
    unpaintedMean: record.unpaintedSum / record.frames,
    distancePx: record.scrollTop - record.startTop,
    endPx: record.scrollTop,
    longTasks,
    detailCalls: apiCalls.get('images.get') ?? 0
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------
export async function openProject(page: Page, url: string, project: GeneratedProject): Promise<number> {
  const started = performance.now()
  await page.goto(url)
  await page.getByLabel('Existing project path').fill(project.path)
  await page.getByRole('button', { name: 'Open project' }).click()
  await page.getByRole('heading', { name: 'Library', level: 1 }).waitFor({ timeout: 60_000 })
  const total = page.getByTestId('count-total')
  await total.waitFor({ timeout: 60_000 })
  for (let tries = 0; digits((await total.textContent()) ?? '') !== project.images; tries++) {
    if (tries > 600) throw new Error(`the Library shows ${await total.textContent()} images, expected ${project.images}`)
    await page.waitForTimeout(100)
  }
  return performance.now() - started
}

export function reportLabeling(name: string, result: LabelResult): void {
  const { before, after } = result
  const presses = result.paintMs.length
  const calls = [...result.callsPerKey]
    .map(([method, perKey]) => {
      const times = result.callMs.get(method) ?? []
      return `${method} ×${perKey.toFixed(2)} (p50 ${ms(median(times))}, p95 ${ms(quantile(times, 0.95))})`
    })
    .join(', ')
  const longest = Math.max(0, ...result.longTasks.map((task) => task.duration))
  console.log(
    `  labeling, ${name}: ${presses} keys in ${ms(result.elapsedMs)}; filter ${before.total} → ${after.total} ` +
      `(${before.total - after.total === presses ? 'each key labeled one image' : `EXPECTED ${before.total - presses}`}); ` +
      `key → painted p50 ${ms(median(result.paintMs))}, p95 ${ms(quantile(result.paintMs, 0.95))}; ` +
      `key → DOM updated p50 ${ms(median(result.domMs))}, p95 ${ms(quantile(result.domMs, 0.95))}; ` +
      `key → label committed and shown p50 ${ms(median(result.committedMs))}, p95 ${ms(quantile(result.committedMs, 0.95))}; ` +
      `wall (CDP key → painted seen) p50 ${ms(median(result.wallMs))}; ${result.longTasks.length} long task(s)` +
      `${result.longTasks.length ? `, longest ${ms(longest)}` : ''}\n    contract calls per key (round trip): ${calls}`
  )
}
