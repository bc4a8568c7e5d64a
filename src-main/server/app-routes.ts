import { constants } from 'node:fs'
import { lstat, open } from 'node:fs/promises'
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { ThumbnailStore } from '../import/thumbnail-store'
import { createPreviewPool, type PreviewRenderer } from '../services/preview'
import type { PredictedFiles } from '../export/predict-store'
import { PREDICTED_PREFIX, predictedThumbnail } from './predicted-route'
import { REPORT_ROUTE_PREFIX } from '../contract/report'
import { REPORT_CONTENT_SECURITY_POLICY, reportFileFor } from './report-route'
import type { ProjectSession } from '../services/project-session'
import { createThumbnailRebuilder, type ThumbnailRebuilder } from '../services/thumbnail-rebuild'

// Every path the page loads that is not a contract call — the built renderer, thumbnails, large
// previews — is answered here, for both app shells: the Electron app:// protocol and browser mode's
// HTTP server only turn the answer into their kind of response. So which files can be read, under
// which names and with which content type, is decided in one place.

export const THUMBNAIL_PREFIX = '/thumbs/'
export const PREVIEW_PREFIX = '/previews/'

/** What a path answers, whatever carries it. */
export type RouteAnswer =
  /** `contentSecurityPolicy` replaces the app's own policy for this answer (a run's report). */
  | { kind: 'bytes'; body: Buffer; contentType: string; cacheControl: string; contentSecurityPolicy?: string }
  /** `retryAfterSeconds` comes with 503 (busy): the transport sends it as Retry-After. */
  | { kind: 'refused'; status: 400 | 404 | 500 | 503; text: string; retryAfterSeconds?: number }

export interface RouteContext {
  /** The built renderer (out/renderer). */
  rendererDir: string
  thumbnails: ThumbnailStore
  session: ProjectSession
  /** Defaults to one renderer (one decode pool) shared by every route context of this process. */
  previews?: PreviewRenderer
  /** The Predict view's rows, whose files get small previews (predicted-route.ts). */
  predictions?: PredictedFiles
  /** Makes a missing thumbnail again from its image's file; one shared pool by default, like previews. */
  rebuildThumbnail?: ThumbnailRebuilder
}

// One decode pool for the process: the detail view's previews and the Predict view's thumbnails.
const sharedPool = createPreviewPool()
const sharedPreviews = sharedPool.image
const sharedRebuilder = createThumbnailRebuilder()

/** Answers one GET (or HEAD) path: a thumbnail, a preview, a run's report, or a file of the renderer. */
export async function answerPath(pathname: string, context: RouteContext): Promise<RouteAnswer> {
  if (pathname.startsWith(THUMBNAIL_PREFIX)) return thumbnail(pathname, context)
  if (pathname.startsWith(PREVIEW_PREFIX)) return preview(pathname, context.session, context.previews ?? sharedPreviews)
  if (pathname.startsWith(PREDICTED_PREFIX)) return predicted(pathname, context.predictions)
  if (pathname.startsWith(REPORT_ROUTE_PREFIX)) return report(pathname, context.session)
  return rendererFile(pathname, context.rendererDir)
}

async function thumbnail(pathname: string, context: RouteContext): Promise<RouteAnswer> {
  const store = context.thumbnails
  const path = thumbnailFileFor(pathname, store)
  if (!path) return { kind: 'refused', status: 404, text: 'no such thumbnail' }
  let body = await readThumbnail(path)
  if (!body) {
    // Not in this data folder's cache (another computer, a cleared cache): made again from the image.
    const rebuilt = await (context.rebuildThumbnail ?? sharedRebuilder)(context.session, store, basename(path, '.webp'))
    if (rebuilt === 'busy') return { kind: 'refused', status: 503, text: 'thumbnails are busy; try again in a moment', retryAfterSeconds: 1 }
    if (rebuilt === 'written') body = await readThumbnail(path)
  }
  if (!body) return { kind: 'refused', status: 404, text: 'no such thumbnail' }
  // Named by content hash: the bytes behind a URL never change.
  return { kind: 'bytes', body, contentType: 'image/webp', cacheControl: 'private, max-age=31536000, immutable' }
}

async function readThumbnail(path: string): Promise<Buffer | null> {
  // The shard folder must be a real folder too: a link there would lead the read elsewhere.
  const shardIsFolder = await lstat(dirname(path)).then((info) => info.isDirectory(), () => false)
  return shardIsFolder ? readRegularFile(path) : null
}

async function preview(pathname: string, session: ProjectSession, render: PreviewRenderer): Promise<RouteAnswer> {
  const id = previewIdFor(pathname)
  const result = id === null ? null : await render(session, id)
  if (result?.kind === 'busy') {
    return { kind: 'refused', status: 503, text: 'previews are busy; try again in a moment', retryAfterSeconds: result.retryAfterSeconds }
  }
  if (result?.kind !== 'webp') return { kind: 'refused', status: 404, text: 'no preview for this image' }
  return { kind: 'bytes', body: result.body, contentType: 'image/webp', cacheControl: 'no-cache' }
}

async function predicted(pathname: string, files: PredictedFiles | undefined): Promise<RouteAnswer> {
  const result = await predictedThumbnail(pathname, files, sharedPool)
  if (result.kind === 'busy') {
    return { kind: 'refused', status: 503, text: 'previews are busy; try again in a moment', retryAfterSeconds: result.retryAfterSeconds }
  }
  if (result.kind === 'missing') return { kind: 'refused', status: 404, text: 'no thumbnail for this file' }
  return { kind: 'bytes', body: result.body, contentType: 'image/webp', cacheControl: 'private, max-age=600' }
}

async function report(pathname: string, session: ProjectSession): Promise<RouteAnswer> {
  const path = reportFileFor(pathname, session)
  const body = path === null ? null : await readRegularFile(path)
  if (!body) return { kind: 'refused', status: 404, text: 'this run has no report yet' }
  // Written again by every Report: never a stale copy.
  return { kind: 'bytes', body, contentType: 'text/html; charset=utf-8', cacheControl: 'no-store', contentSecurityPolicy: REPORT_CONTENT_SECURITY_POLICY }
}

async function rendererFile(pathname: string, rendererDir: string): Promise<RouteAnswer> {
  let path = resolveConfinedPath(rendererDir, pathname === '/' ? '/index.html' : pathname)
  if (!path) return { kind: 'refused', status: 400, text: 'bad path' }
  let body = await readRegularFile(path)
  if (!body) {
    // Unknown paths without an extension are client-side views: answer with the app shell.
    if (/\.[a-z0-9]+$/i.test(pathname)) return { kind: 'refused', status: 404, text: 'not found' }
    path = join(rendererDir, 'index.html')
    body = await readRegularFile(path)
    if (!body) return { kind: 'refused', status: 500, text: 'the renderer is not built: run npm run build' }
  }
  return {
    kind: 'bytes',
    body,
    contentType: contentTypeFor(path),
    // Hashed asset names can be cached forever; the shell must always be fresh.
    cacheControl: pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'
  }
}

/** Renderer bundles and thumbnails are far below this; anything larger is not ours. */
const MAX_SERVED_BYTES = 64 * 2 ** 20

/**
 * The bytes of a regular file that is not a symbolic link, or null. Opened with O_NOFOLLOW (a link
 * planted where a thumbnail belongs is refused by the kernel, with no window between a check and
 * the open) and O_NONBLOCK (a pipe planted there cannot block the open), then checked on the open
 * file itself. Where the platform has no O_NOFOLLOW an lstat check stands in.
 */
export async function readRegularFile(path: string): Promise<Buffer | null> {
  const noFollow = constants.O_NOFOLLOW ?? 0
  if (noFollow === 0 && !(await lstat(path).then((info) => info.isFile(), () => false))) return null
  const file = await open(path, constants.O_RDONLY | noFollow | (constants.O_NONBLOCK ?? 0)).catch(() => null)
  if (!file) return null
  try {
    const info = await file.stat()
    if (!info.isFile() || info.size > MAX_SERVED_BYTES) return null
    return await file.readFile()
  } catch {
    return null
  } finally {
    await file.close()
  }
}

/**
 * `/thumbs/<sha256>.webp` → the cached thumbnail's path. Anything else under the prefix is null:
 * the only input that reaches the file system is a validated 64-hex-digit hash.
 */
export function thumbnailFileFor(pathname: string, store: ThumbnailStore): string | null {
  const match = /^\/thumbs\/([0-9a-f]{64})\.webp$/.exec(pathname)
  return match ? store.pathFor(match[1]!) : null
}

/**
 * `/previews/<id>.webp` → the image id. The file is then found through the project database by
 * id, never from a path the client sends.
 */
export function previewIdFor(pathname: string): number | null {
  const match = /^\/previews\/([1-9]\d{0,15})\.webp$/.exec(pathname)
  return match ? Number(match[1]) : null
}

/**
 * Maps a URL path onto a file inside `root`, or null when it would escape it: `..`, encoded
 * `%2e%2e`, absolute paths, backslashes and NUL bytes are refused here, for every route.
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
