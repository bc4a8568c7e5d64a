/**
 * Layout of a virtualized table (the Predict view's results): rows of one fixed height, only those
 * near the viewport in the DOM, so 100,000 rows cost one screenful. Pure arithmetic, like
 * virtual-grid.ts for the image grids; the component keeps the reactive wiring.
 */

/** Rows rendered above and below the visible ones, so fast scrolling never shows blanks. */
export const ROW_OVERSCAN = 6

/** The first row to render at this scroll position, overscan included. */
export function firstRowAt(scrollTop: number, rowHeight: number): number {
  return Math.max(0, Math.floor(scrollTop / rowHeight) - ROW_OVERSCAN)
}

/** One past the last row to render for this scroll position and viewport height, overscan included. */
export function endRowAt(scrollTop: number, height: number, rowHeight: number, count: number): number {
  return Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + ROW_OVERSCAN)
}
