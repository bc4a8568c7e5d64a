import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { describe, expect, it } from 'vitest'
import { LOOPBACK_HOST } from '../../src-main/server/browser-server'
import { callApi, INDEX_HTML, rawRequest, useBrowserServer } from '../helpers/browser-server'

// Who may talk to browser mode: this computer only, with this launch's token, under our own Host.

const fixture = useBrowserServer()

function cookieFrom(setCookie: string[] | undefined): string {
  expect(setCookie).toHaveLength(1)
  return setCookie![0]!.split(';')[0]!
}

/** The first IPv4 address of this machine that is not loopback, if any. */
function externalIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal && !address.address.startsWith('127.')) return address.address
    }
  }
  return undefined
}

describe('browser server: where it listens', () => {
  it('listens on 127.0.0.1 and says so in its origin and URL', () => {
    const { server } = fixture()
    expect(LOOPBACK_HOST).toBe('127.0.0.1')
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token.length).toBeGreaterThanOrEqual(40) // 32 random bytes, base64url
  })

  it('refuses connections on a non-loopback address of this machine', async (context) => {
    const address = externalIPv4()
    if (!address) {
      context.skip('this machine has no non-loopback IPv4 address to try')
      return
    }
    const { server } = fixture()
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: address, port: server.port })
      socket.setTimeout(5000, () => {
        socket.destroy()
        resolve('TIMEOUT')
      })
      socket.on('connect', () => {
        socket.destroy()
        resolve('CONNECTED')
      })
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'ERROR'))
    })
    expect(outcome).toBe('ECONNREFUSED')
  })
})

describe('browser server: the token', () => {
  it('refuses a contract call without a token: 401 UNAUTHORIZED', async () => {
    const { server } = fixture()
    const { status, envelope } = await callApi(server, 'app.info', {}, null)
    expect(status).toBe(401)
    expect(envelope).toEqual({ ok: false, error: { code: 'UNAUTHORIZED', message: expect.any(String) } })
  })

  it('refuses a wrong bearer token, including one that differs only in length', async () => {
    const { server } = fixture()
    for (const token of ['wrong', `${server.token}x`, server.token.slice(0, -1), server.token.toUpperCase()]) {
      const { status, envelope } = await callApi(server, 'app.info', {}, token)
      expect(status, token).toBe(401)
      expect(envelope).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } })
    }
  })

  it('answers a call with the right bearer token: 200 and an ok envelope', async () => {
    const { server } = fixture()
    const { status, envelope } = await callApi(server, 'app.info')
    expect(status).toBe(200)
    expect(envelope).toMatchObject({ ok: true, value: { transport: 'browser', nativeDialogs: false } })
  })

  it('answers a contract error with 200 and the error envelope (errors are values)', async () => {
    const { server } = fixture()
    const { status, envelope } = await callApi(server, 'dialog.pickProjectToOpen')
    expect(status).toBe(200)
    expect(envelope).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } })
    const unknown = await callApi(server, 'no.such.method')
    expect(unknown.envelope).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } })
  })

  it('refuses the page itself without a token (401, no app shell)', async () => {
    const { server } = fixture()
    const response = await rawRequest({ port: server.port, path: '/' })
    expect(response.status).toBe(401)
    expect(response.body).not.toContain('Pictor test shell')
  })
})

describe('browser server: trading the URL token for a cookie', () => {
  it('answers GET /?token= with a 303, an HttpOnly SameSite=Strict cookie, and a Location without the token', async () => {
    const { server } = fixture()
    const response = await rawRequest({ port: server.port, path: `/?token=${server.token}` })
    expect(response.status).toBe(303)
    expect(response.headers.location).toBe('/')
    const [setCookie] = response.headers['set-cookie'] ?? []
    expect(setCookie).toBeDefined()
    const parts = setCookie!.split(';').map((part) => part.trim())
    expect(parts[0]).toBe(`pictor_token_${server.port}=${server.token}`)
    expect(parts).toContain('HttpOnly')
    expect(parts).toContain('SameSite=Strict')
    expect(parts).toContain('Path=/')
  })

  it('keeps the rest of the address when it drops the token', async () => {
    const { server } = fixture()
    const response = await rawRequest({ port: server.port, path: `/library/view?sort=name&token=${server.token}&x=1` })
    expect(response.status).toBe(303)
    expect(response.headers.location).toBe('/library/view?sort=name&x=1')
    expect(response.headers.location).not.toContain(server.token)
  })

  it('refuses a wrong URL token without setting a cookie', async () => {
    const { server } = fixture()
    const response = await rawRequest({ port: server.port, path: '/?token=guess' })
    expect(response.status).toBe(401)
    expect(response.headers['set-cookie']).toBeUndefined()
  })

  it('lets the cookie alone fetch the app shell (with a CSP) and make API calls', async () => {
    const { server } = fixture()
    const trade = await rawRequest({ port: server.port, path: `/?token=${server.token}` })
    const cookie = cookieFrom(trade.headers['set-cookie'])

    const page = await fetch(`${server.origin}/`, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = page.headers.get('content-security-policy')
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await page.text()).toBe(INDEX_HTML)

    const call = await fetch(`${server.origin}/api/call/project.current`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{}'
    })
    expect(call.status).toBe(200)
    expect(await call.json()).toEqual({ ok: true, value: null })
  })

  it('ignores a cookie named for another port', async () => {
    const { server } = fixture()
    const response = await rawRequest({
      port: server.port,
      path: '/',
      headers: { cookie: `pictor_token_${server.port + 1}=${server.token}` }
    })
    expect(response.status).toBe(401)
  })
})

describe('browser server: Host and Origin', () => {
  it('refuses a foreign Host header with 403, even with the right token', async () => {
    const { server } = fixture()
    for (const host of [`evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, '127.0.0.1', `localhost.evil.example:${server.port}`]) {
      const response = await rawRequest({
        port: server.port,
        path: '/api/call/app.info',
        method: 'POST',
        headers: { host, authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: '{}'
      })
      expect(response.status, host).toBe(403)
      expect(JSON.parse(response.body)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } })
    }
    const page = await rawRequest({ port: server.port, path: `/?token=${server.token}`, headers: { host: `evil.example:${server.port}` } })
    expect(page.status).toBe(403)
    expect(page.headers['set-cookie']).toBeUndefined()
  })

  it('accepts localhost:<port> as well as 127.0.0.1:<port>', async () => {
    const { server } = fixture()
    const response = await rawRequest({
      port: server.port,
      path: '/api/call/project.current',
      method: 'POST',
      headers: { host: `localhost:${server.port}`, authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: '{}'
    })
    expect(response.status).toBe(200)
  })

  it('refuses a cross-origin POST with 403, and accepts our own origin', async () => {
    const { server } = fixture()
    const post = (origin: string) =>
      fetch(`${server.origin}/api/call/project.current`, {
        method: 'POST',
        headers: { origin, authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: '{}'
      })
    for (const origin of ['http://evil.example', `http://evil.example:${server.port}`, 'null', `https://127.0.0.1:${server.port}`]) {
      const response = await post(origin)
      expect(response.status, origin).toBe(403)
      expect(await response.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } })
    }
    expect((await post(server.origin)).status).toBe(200)
  })
})
