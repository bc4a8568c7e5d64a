import { extname, isAbsolute, relative, resolve, sep } from 'node:path'

/**
 * Maps a URL path onto a file inside `root`, or null when it would escape it. Used by every route
 * that serves files (the renderer, later thumbnails), so `..`, encoded `%2e%2e`, absolute paths,
 * backslashes and NUL bytes are refused in one place.
 */
export function resolveConfinedPath(root: string, urlPath: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const segments = decoded.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.some((segment) => segment === '..')) return null
  const base = resolve(root)
  const target = resolve(base, ...segments)
  const inside = relative(base, target)
  if (isAbsolute(inside) || inside.split(sep).includes('..')) return null
  return target
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
}

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}
