// In-page probes of `npm run bench:ui` (see ui-bench.ts). Plain JavaScript installed with addInitScript,
// so nothing here depends on how tsx compiles functions (no helpers leak into page.evaluate) or on DOM
// typings in the node config; and the shapes of what they record, as the benchmark reads them back.
export const PAGE_PROBES = String.raw`
(() => {
  const GRID = '[role=listbox][aria-label=Images]'
  const bench = (window.__pictorBench = { longTasks: [] })
  performance.setResourceTimingBufferSize(1000000)
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longTasks.push({ start: entry.startTime, duration: entry.duration })
    }).observe({ type: 'longtask', buffered: true })
  } catch {}

  /** Calls back once the next frame has been painted: rAF runs just before paint, the message just after. */
  const afterNextPaint = (callback) =>
    requestAnimationFrame(() => {
      const frame = performance.now()
      const channel = new MessageChannel()
      channel.port1.onmessage = () => callback(frame, performance.now())
      channel.port2.postMessage(null)
    })

  const filterText = () => {
    for (const span of document.querySelectorAll('.status-line span')) {
      if (span.textContent.includes('in this filter')) return span.textContent.trim()
    }
    return ''
  }
  const currentLabel = () => {
    const cell = document.querySelector(GRID + ' [role=option][aria-current=true]')
    return cell ? cell.getAttribute('aria-label') : ''
  }
  bench.filterText = filterText
  bench.blur = () => document.activeElement && document.activeElement.blur && document.activeElement.blur()
  bench.longTasksSince = (since) => bench.longTasks.filter((task) => task.start >= since)
  bench.resourcesSince = (since) =>
    performance
      .getEntriesByType('resource')
      .filter((entry) => entry.startTime >= since)
      .map((entry) => ({
        path: new URL(entry.name).pathname,
        start: entry.startTime,
        end: entry.responseEnd,
        bytes: entry.encodedBodySize,
        // 0 with a body: served from the HTTP cache, not by the server.
        transfer: entry.transferSize
      }))
  bench.domSize = () => ({
    elements: document.getElementsByTagName('*').length,
    cells: document.querySelectorAll(GRID + ' [role=option]').length
  })

  /** Ctrl+2 → the first grid cell's thumbnail has loaded (and the frame showing it). */
  bench.armFirstPaint = () => {
    const record = { t0: null, grid: null, cell: null, img: null, loaded: null, frame: null, painted: null }
    bench.firstPaint = record
    const onKey = (event) => {
      if (!(event.ctrlKey && event.key === '2')) return
      window.removeEventListener('keydown', onKey, true)
      record.t0 = performance.now()
      const poll = () => {
        const now = performance.now()
        const grid = document.querySelector(GRID)
        if (grid && record.grid === null) record.grid = now
        const cell = grid && grid.querySelector('[role=option]')
        if (cell && record.cell === null) record.cell = now
        const img = cell && cell.querySelector('img')
        if (img && record.img === null) record.img = now
        if (img && img.complete && img.naturalWidth > 0) {
          record.loaded = now
          afterNextPaint((frame, painted) => {
            record.frame = frame
            record.painted = painted
          })
          return
        }
        requestAnimationFrame(poll)
      }
      requestAnimationFrame(poll)
    }
    window.addEventListener('keydown', onKey, true)
  }

  /**
   * Next key → the status line's "N / M in this filter" or the current cell changes → that frame is
   * painted; and → the filter's total reaches \`committedTotal\` (main wrote the label, the image left
   * the Unlabeled filter) → that frame is painted.
   */
  bench.armLabel = (committedTotal) => {
    const before = filterText() + ' | ' + currentLabel()
    const record = { t0: null, mutated: null, frame: null, painted: null, before, after: null, committed: null, committedPainted: null }
    bench.label = record
    const onKey = () => {
      window.removeEventListener('keydown', onKey, true)
      record.t0 = performance.now()
    }
    window.addEventListener('keydown', onKey, true)
    const total = () => {
      const match = /\/\s*(.+?)\s+in this filter/.exec(filterText())
      return match ? Number(match[1].replace(/\D/g, '')) : NaN
    }
    const observer = new MutationObserver(() => {
      if (record.t0 === null) return
      const now = filterText() + ' | ' + currentLabel()
      if (record.mutated === null && now !== before) {
        record.mutated = performance.now()
        record.after = now
        afterNextPaint((frame, painted) => {
          record.frame = frame
          record.painted = painted
        })
      }
      if (record.committed === null && total() <= committedTotal) {
        record.committed = performance.now()
        afterNextPaint((frame, painted) => (record.committedPainted = painted))
      }
      if (record.mutated !== null && record.committed !== null) observer.disconnect()
    })
    observer.observe(document.querySelector('.label-view'), {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['aria-current', 'aria-label']
    })
  }

  /**
   * From startPx, scrolls the grid by stepPx every animation frame for durationMs or until endPx is
   * reached; frame intervals and DOM size per frame.
   */
  bench.scroll = (durationMs, stepPx, startPx, endPx) =>
    new Promise((resolve) => {
      const grid = document.querySelector(GRID)
      grid.scrollTop = startPx
      const intervals = []
      const stats = { frames: 0, cellsMax: 0, cellsSum: 0, cellsMin: Infinity, loadingSum: 0, unpaintedSum: 0 }
      let start = null
      let last = null
      const frame = (timestamp) => {
        if (start === null) start = timestamp
        else intervals.push(timestamp - last)
        last = timestamp
        const cells = grid.querySelectorAll('[role=option]')
        let loading = 0
        let unpainted = 0
        for (const cell of cells) {
          const img = cell.querySelector('img')
          if (!img) loading++
          else if (!img.complete || img.naturalWidth === 0) unpainted++
        }
        stats.frames++
        stats.cellsSum += cells.length
        stats.cellsMax = Math.max(stats.cellsMax, cells.length)
        stats.cellsMin = Math.min(stats.cellsMin, cells.length)
        stats.loadingSum += loading
        stats.unpaintedSum += unpainted
        if (timestamp - start >= durationMs || grid.scrollTop >= endPx) {
          resolve({ ...stats, intervals, start, elapsed: timestamp - start, startTop: startPx, scrollTop: grid.scrollTop, scrollHeight: grid.scrollHeight })
          return
        }
        grid.scrollTop += stepPx
        requestAnimationFrame(frame)
      }
      requestAnimationFrame(frame)
    })
})()
`


/** What PAGE_PROBES puts on the page's window, as the predicates passed to waitForFunction read it. */
export interface ProbedPage {
  __pictorBench: {
    filterText(): string
    firstPaint: { painted: number | null }
    label: { painted: number | null; committedPainted: number | null }
  }
}

export interface FirstPaintRecord {
  t0: number
  grid: number | null
  cell: number | null
  img: number | null
  loaded: number
  frame: number
  painted: number
}
export interface LabelRecord {
  t0: number
  mutated: number
  frame: number
  painted: number
  before: string
  after: string
  committed: number
  committedPainted: number
}
export interface ScrollRecord {
  frames: number
  cellsMax: number
  cellsMin: number
  cellsSum: number
  loadingSum: number
  unpaintedSum: number
  intervals: number[]
  start: number
  elapsed: number
  startTop: number
  scrollTop: number
  scrollHeight: number
}
export interface Resource {
  path: string
  start: number
  end: number
  bytes: number
  transfer: number
}
export interface LongTask {
  start: number
  duration: number
}
