/** Extensions worth trying to decode; other files are skipped (counted), not reported as errors. */
const IMAGE_EXTENSIONS = new Set([
  'jpg', 'jpeg', 'jpe', 'jfif', 'png', 'apng', 'webp', 'gif', 'tif', 'tiff', 'avif', 'heic', 'heif', 'svg', 'bmp'
])

export function isImageCandidate(fileName: string): boolean {
  const dot = fileName.lastIndexOf('.')
  // No extension: worth a look (cameras and scrapers produce such files); the content decides.
  if (dot <= 0) return true
  return IMAGE_EXTENSIONS.has(fileName.slice(dot + 1).toLowerCase())
}

/** Folders and files an import never enters: hidden ones and OS metadata. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX' || name === '@eaDir' || name === 'Thumbs.db' || name === 'desktop.ini'
}

export type SniffedKind = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heif' | 'svg' | 'bmp' | null

/** What the first bytes say a file is, so "not an image" and "a damaged image" get different answers. */
export function sniff(head: Uint8Array): SniffedKind {
  const ascii = (start: number, end: number) => String.fromCharCode(...head.subarray(start, end))
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg'
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png'
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp'
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff'
  if (ascii(4, 8) === 'ftyp' && /^(avif|avis)$/.test(ascii(8, 12))) return 'avif'
  if (ascii(4, 8) === 'ftyp' && /^(heic|heix|hevc|mif1|msf1)$/.test(ascii(8, 12))) return 'heif'
  if (ascii(0, 2) === 'BM') return 'bmp'
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 512)).trimStart().toLowerCase()
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'svg'
  return null
}
