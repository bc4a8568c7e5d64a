// The pictures a finished run leaves in TensorBoard's Images dashboard: the confusion matrix and a
// grid of misclassified images. Drawn as SVG and rendered by sharp (librsvg), which needs no canvas
// library and uses the system's fonts; every text that goes into the SVG is escaped.
import sharp from 'sharp'
import type { PngImage } from './event-file-writer'

const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif'

/** Text for SVG content and attribute values. */
export function escapeSvg(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/**
 * `text` cut to `max` characters (code points, so emoji are not split), the middle replaced by "…":
 * class names often share a prefix ("n02085620-…") or a suffix, and keeping both ends keeps
 * "golden retriever" and "golden doodle" apart, and a caption's trailing score stays visible.
 */
export function shorten(text: string, max: number): string {
  const chars = Array.from(text)
  if (chars.length <= max) return text
  if (max <= 1) return '…'
  const tail = Math.floor((max - 1) / 2)
  const head = max - 1 - tail
  return chars.slice(0, head).join('') + '…' + (tail > 0 ? chars.slice(-tail).join('') : '')
}

async function renderSvg(svg: string): Promise<PngImage> {
  const { data, info } = await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true })
  return { png: new Uint8Array(data), width: info.width, height: info.height }
}

/** White to dark blue, by the share of the row a cell holds: what a reader's eye follows first. */
function shade(share: number): string {
  const t = Math.max(0, Math.min(1, share))
  const channel = (from: number, to: number) => Math.round(from + (to - from) * t)
  return `rgb(${channel(255, 8)},${channel(255, 48)},${channel(255, 107)})`
}

/**
 * Rows are the true class, columns the predicted one; each cell shaded by its share of the row
 * (so a rare class's mistakes show as clearly as a common one's) and labelled with its count.
 * Cells and fonts shrink with the class count, so 50 classes still fit in about a thousand pixels.
 */
export function confusionMatrixImage(
  labels: readonly string[],
  confusion: readonly (readonly number[])[]
): Promise<PngImage> {
  const n = labels.length
  const cell = Math.max(18, Math.min(56, Math.floor(900 / Math.max(n, 1))))
  const countFont = Math.max(7, Math.min(14, Math.floor(cell * 0.32)))
  const labelFont = Math.max(8, Math.min(13, Math.floor(cell * 0.45)))
  const maxLabel = n > 20 ? 14 : 20
  const names = labels.map((label) => shorten(label, maxLabel))
  const longest = Math.max(1, ...names.map((name) => Array.from(name).length))
  const labelSpace = Math.ceil(longest * labelFont * 0.62) + 12
  const titleHeight = 34
  const left = labelSpace + 22 // row names, and the rotated "true class" caption left of them
  const top = titleHeight + labelSpace + 20 // title, "predicted" caption, rotated column names
  const width = left + n * cell + 16
  const height = top + n * cell + 16

  const parts: string[] = []
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`)
  parts.push(
    `<text x="${width / 2}" y="22" font-size="16" font-weight="bold" text-anchor="middle">Confusion matrix</text>`
  )
  parts.push(
    `<text x="${left + (n * cell) / 2}" y="${titleHeight + 12}" font-size="12" text-anchor="middle" fill="#555">predicted class</text>`
  )
  const rowsMiddle = top + (n * cell) / 2
  parts.push(
    `<text transform="translate(14 ${rowsMiddle}) rotate(-90)" font-size="12" text-anchor="middle" fill="#555">true class</text>`
  )
  names.forEach((name, i) => {
    const middle = i * cell + cell / 2
    const label = escapeSvg(name)
    parts.push(
      `<text x="${left - 6}" y="${top + middle}" font-size="${labelFont}" text-anchor="end" dominant-baseline="central">${label}</text>`
    )
    parts.push(
      `<text transform="translate(${left + middle} ${top - 6}) rotate(-90)" font-size="${labelFont}" dominant-baseline="central">${label}</text>`
    )
  })
  for (let row = 0; row < n; row++) {
    const counts = confusion[row] ?? []
    const total = counts.reduce((sum, count) => sum + (count > 0 ? count : 0), 0)
    for (let column = 0; column < n; column++) {
      const count = counts[column] ?? 0
      const share = total > 0 ? count / total : 0
      const x = left + column * cell
      const y = top + row * cell
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(share)}" stroke="#ccc" stroke-width="0.5"/>`
      )
      parts.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2}" font-size="${countFont}" text-anchor="middle" dominant-baseline="central" fill="${share > 0.5 ? 'white' : '#222'}">${count}</text>`
      )
    }
  }
  return renderSvg(svgDocument(width, height, parts))
}

function svgDocument(width: number, height: number, parts: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}">` +
    parts.join('') +
    '</svg>'
  )
}

/** A tile for an image that could not be read: grey, saying so, so the grid keeps its order. */
function unreadableTile(tile: number): Promise<Buffer> {
  const font = Math.max(9, Math.floor(tile / 8))
  const svg = svgDocument(tile, tile, [
    `<rect width="${tile}" height="${tile}" fill="#bbb"/>`,
    `<text x="${tile / 2}" y="${tile / 2}" font-size="${font}" text-anchor="middle" dominant-baseline="central" fill="#333">unreadable</text>`
  ])
  return sharp(Buffer.from(svg)).png().toBuffer()
}

/** The image at `path` as a tile×tile PNG: EXIF orientation applied, centre cropped to a square. */
async function imageTile(path: string, tile: number): Promise<Buffer> {
  try {
    return await sharp(path).rotate().resize(tile, tile, { fit: 'cover' }).flatten({ background: 'white' }).png().toBuffer()
  } catch {
    return unreadableTile(tile)
  }
}

/**
 * Images in rows of `columns`, each cropped to a square with its caption (e.g. "cat → dog 0.93")
 * under it. A file that cannot be read becomes a grey "unreadable" tile; this never throws for a
 * bad image, because a missing picture must not cost the run its report.
 */
export async function imageGrid(
  tiles: readonly { path: string; caption: string }[],
  options: { tile?: number; columns?: number } = {}
): Promise<PngImage> {
  if (tiles.length === 0) {
    return renderSvg(
      svgDocument(240, 48, [
        '<rect width="240" height="48" fill="white"/>',
        '<text x="120" y="24" font-size="14" text-anchor="middle" dominant-baseline="central" fill="#555">no misclassified images</text>'
      ])
    )
  }
  const tile = Math.max(16, Math.round(options.tile ?? 96))
  const columns = Math.max(1, Math.min(tiles.length, Math.round(options.columns ?? Math.ceil(Math.sqrt(tiles.length)))))
  const rows = Math.ceil(tiles.length / columns)
  const captionFont = Math.max(8, Math.min(12, Math.floor(tile / 9)))
  const captionHeight = captionFont + 8
  const gap = 4
  const cellWidth = tile + gap
  const cellHeight = tile + captionHeight + gap
  const width = columns * cellWidth + gap
  const height = rows * cellHeight + gap
  // DejaVu Sans averages a little under 0.6 em per character.
  const maxChars = Math.max(3, Math.floor(cellWidth / (captionFont * 0.58)))

  const images = await Promise.all(tiles.map((entry) => imageTile(entry.path, tile)))
  const captions = tiles.map((entry, i) => {
    const x = gap + (i % columns) * cellWidth + tile / 2
    const y = gap + Math.floor(i / columns) * cellHeight + tile + captionHeight / 2
    return `<text x="${x}" y="${y}" font-size="${captionFont}" text-anchor="middle" dominant-baseline="central">${escapeSvg(shorten(entry.caption, maxChars))}</text>`
  })
  const { data, info } = await sharp({ create: { width, height, channels: 3, background: 'white' } })
    .composite([
      ...images.map((input, i) => ({
        input,
        left: gap + (i % columns) * cellWidth,
        top: gap + Math.floor(i / columns) * cellHeight
      })),
      { input: Buffer.from(svgDocument(width, height, captions)), left: 0, top: 0 }
    ])
    .png()
    .toBuffer({ resolveWithObject: true })
  return { png: new Uint8Array(data), width: info.width, height: info.height }
}
