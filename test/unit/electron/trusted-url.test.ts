import { describe, expect, it } from 'vitest'
import { APP_ORIGIN, trustedUrlCheck } from '../../../src-main/electron/trusted-url'

// Issue 13, defect 10: in development `ELECTRON_RENDERER_URL` was compared with startsWith and no
// trailing '/', so any host that merely begins with "localhost:5173" was trusted with the contract.

const DEV = 'http://localhost:5173'

const hostile = [
  'http://localhost:5173.evil.com/',
  'http://localhost:5173.evil.com/#/label',
  'http://localhost:51730/',
  'http://localhost:5173@evil.com/',
  'https://localhost:5173/',
  'http://127.0.0.1:5173/',
  'ws://localhost:5173/',
  'app://pictor.evil.com/',
  'app://pictorx/',
  'app://evil/',
  'app://user@pictor/',
  'app://pictor:8080/',
  'file:///etc/passwd',
  'about:blank',
  'javascript:alert(1)',
  '',
  'not a url'
]

describe('trustedUrlCheck', () => {
  it.each([DEV, `${DEV}/`])('in development (%s) trusts the dev server origin and app:// exactly', (devUrl) => {
    const isTrusted = trustedUrlCheck(devUrl)
    for (const url of [`${DEV}/`, `${DEV}/index.html`, `${DEV}/#/label?x=1`, `${APP_ORIGIN}/`, `${APP_ORIGIN}/thumbs/a.webp`]) {
      expect(isTrusted(url), url).toBe(true)
    }
    for (const url of hostile) expect(isTrusted(url), url).toBe(false)
  })

  it('packaged (no dev server) trusts app://pictor only', () => {
    const isTrusted = trustedUrlCheck(undefined)
    expect(isTrusted(`${APP_ORIGIN}/index.html`)).toBe(true)
    expect(isTrusted(`${DEV}/`)).toBe(false)
    for (const url of hostile) expect(isTrusted(url), url).toBe(false)
  })

  it('a malformed dev server URL trusts no http page at all', () => {
    const isTrusted = trustedUrlCheck('localhost:5173')
    expect(isTrusted(`${DEV}/`)).toBe(false)
    expect(isTrusted('localhost:5173/x')).toBe(false)
    expect(isTrusted(`${APP_ORIGIN}/`)).toBe(true)
  })
})
