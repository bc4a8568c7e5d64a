import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { net, protocol } from 'electron'
import type { ThumbnailStore } from '../import/thumbnail-store'
import { previewIdFor, renderPreview } from '../services/preview'
import type { ProjectSession } from '../services/project-session'
import { resolveConfinedPath } from '../server/confined-path'
import { SECURITY_HEADERS } from '../server/csp'
import { THUMBNAIL_PREFIX, thumbnailFileFor } from '../server/thumbnail-route'

export const APP_SCHEME = 'app'
export const APP_ORIGIN = `${APP_SCHEME}://pictor`

/** Must run before `app.ready`: makes app:// a standard, secure origin so fetch and CSP 'self' work. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }
  ])
}

/**
 * Serves the built renderer (and thumbnails) from app://pictor/ instead of file://, so the page gets
 * a real origin, a CSP header, and no way to read files outside those two folders.
 */
export function serveApp(rendererDir: string, thumbnails: ThumbnailStore, session: ProjectSession): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url)
    if (url.host !== 'pictor') return new Response('not found', { status: 404 })
    if (url.pathname.startsWith('/previews/')) {
      const id = previewIdFor(url.pathname)
      const webp = id === null ? null : await renderPreview(session, id)
      return webp
        ? new Response(new Uint8Array(webp), { headers: { 'content-type': 'image/webp', ...SECURITY_HEADERS } })
        : new Response('not found', { status: 404 })
    }
    let file: string | null
    if (url.pathname.startsWith(THUMBNAIL_PREFIX)) {
      file = thumbnailFileFor(url.pathname, thumbnails)
      if (!file || !(await stat(file).catch(() => null))?.isFile()) return new Response('not found', { status: 404 })
    } else {
      file = resolveConfinedPath(rendererDir, url.pathname === '/' ? '/index.html' : url.pathname)
      if (!file) return new Response('bad path', { status: 400 })
      if (!(await stat(file).catch(() => null))?.isFile()) file = join(rendererDir, 'index.html')
    }
    const upstream = await net.fetch(pathToFileURL(file).toString())
    const headers = new Headers(upstream.headers)
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value)
    return new Response(upstream.body, { status: upstream.status, headers })
  })
}
