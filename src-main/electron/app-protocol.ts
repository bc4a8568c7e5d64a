import { protocol } from 'electron'
import type { ThumbnailStore } from '../import/thumbnail-store'
import type { ProjectSession } from '../services/project-session'
import type { PredictedFiles } from '../export/predict-store'
import { answerPath, type RouteContext } from '../server/app-routes'
import { SECURITY_HEADERS } from '../server/csp'
import { APP_HOST, APP_SCHEME } from './trusted-url'

/** Must run before `app.ready`: makes app:// a standard, secure origin so fetch and CSP 'self' work. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }
  ])
}

/**
 * Serves the built renderer, thumbnails and previews from app://pictor/ instead of file://, so the
 * page gets a real origin, a CSP header, and no way to read files outside what app-routes allows
 * (the same routes browser mode serves).
 */
export function serveApp(rendererDir: string, thumbnails: ThumbnailStore, session: ProjectSession, predictions?: PredictedFiles): void {
  const routes: RouteContext = { rendererDir, thumbnails, session, predictions }
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url)
    if (url.host !== APP_HOST) return new Response('not found', { status: 404, headers: SECURITY_HEADERS })
    const answer = await answerPath(url.pathname, routes)
    if (answer.kind === 'refused') {
      const headers: Record<string, string> = { ...SECURITY_HEADERS }
      if (answer.retryAfterSeconds !== undefined) headers['retry-after'] = String(answer.retryAfterSeconds)
      return new Response(answer.text, { status: answer.status, headers })
    }
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': answer.contentType, 'cache-control': answer.cacheControl }
    if (answer.contentSecurityPolicy !== undefined) headers['content-security-policy'] = answer.contentSecurityPolicy
    return new Response(new Uint8Array(answer.body), { headers })
  })
}
