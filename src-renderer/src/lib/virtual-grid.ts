/**
 * Layout of the virtualized image grids (Label, Review): square cells on a fixed pitch, only the
 * rows near the viewport are in the DOM. Pure arithmetic, so a grid of 100k images costs no more
 * than one screen of them; the components keep the reactive wiring.
 */

export const CELL = 148
export const GAP = 8
/** The pitch of rows and columns: a cell and the gap after it. */
export const ROW = CELL + GAP
/** Rows rendered above and below the visible ones, so fast scrolling never shows blanks. */
export const OVERSCAN = 3

/** Cells per row; at least a gap's width stays free at the right edge, by the scrollbar. */
export function columnsFor(width: number): number {
  return Math.max(1, Math.floor(width / ROW))
}

/**
 * The pitch that spreads `columns` over the whole `width` (cells grow a little, never shrink), so a
 * grid leaves no dead band at its right edge (issue 14: up to 155 px between the Label grid and the
 * Classes panel). Cells are then `pitch - GAP` square.
 */
export function fillingPitch(width: number, columns: number): number {
  return Math.max(ROW, Math.floor(width / Math.max(1, columns)))
}

// Two functions, not one returning a pair: each feeds its own $derived, so a scroll that stays
// within the same rows changes neither and re-renders nothing.
/** The first row to render at this scroll position, overscan included. */
export function firstRenderedRow(scrollTop: number, pitch = ROW): number {
  return Math.max(0, Math.floor(scrollTop / pitch) - OVERSCAN)
}

/** One past the last row to render for this scroll position and viewport height, overscan included. */
export function endRenderedRow(scrollTop: number, height: number, rows: number, pitch = ROW): number {
  return Math.min(rows, Math.ceil((scrollTop + height) / pitch) + OVERSCAN)
}

/** The item indices in rows [firstRow, lastRow) of a grid of `count` items. */
export function indicesInRows(firstRow: number, lastRow: number, columns: number, count: number): number[] {
  const indices: number[] = []
  for (let index = firstRow * columns; index < Math.min(lastRow * columns, count); index++) indices.push(index)
  return indices
}

/**
 * Where to scroll a viewport of client height `height`, now at `scrollTop`, so that the row of item
 * `index` shows — just enough — or null when it already does.
 */
export function scrollTopShowing(scrollTop: number, height: number, index: number, columns: number, pitch = ROW): number | null {
  const top = Math.floor(index / columns) * pitch
  if (top < scrollTop) return top
  if (top + pitch > scrollTop + height) return top + pitch - height + GAP
  return null
}
