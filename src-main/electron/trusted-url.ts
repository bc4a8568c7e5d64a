// Which page may talk to the main process (IPC calls, push events) and where the window may navigate.
// Kept free of `electron` imports so it is unit-tested under plain Node.

export const APP_SCHEME = 'app'
export const APP_HOST = 'pictor'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/**
 * The trust check for one launch: pages of app://pictor, and in development the dev server's pages.
 * URLs are parsed and compared whole — scheme, host and port — never by prefix: a prefix check
 * without the trailing '/' trusted `http://localhost:5173.evil.com` (issue 13).
 */
export function trustedUrlCheck(devServerUrl: string | undefined): (url: string) => boolean {
  const devOrigin = devServerUrl === undefined ? null : httpOrigin(devServerUrl)
  return (url) => {
    const parsed = parse(url)
    if (!parsed) return false
    if (isAppUrl(parsed)) return true
    return devOrigin !== null && httpOrigin(url) === devOrigin
  }
}

/**
 * app:// is not a scheme WHATWG URL knows, so its `origin` is "null" under Node: compare the parts.
 * No user, password or port, exactly the one host.
 */
function isAppUrl(url: URL): boolean {
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === ''
}

/** The origin of an http(s) URL; null for anything else (so "null" origins never compare equal). */
function httpOrigin(text: string): string | null {
  const url = parse(text)
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return null
  return url.origin
}

function parse(text: string): URL | null {
  try {
    return new URL(text)
  } catch {
    return null
  }
}
