import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { APP_JS, INDEX_HTML, SECRET, callApi, rawRequest, useBrowserServer } from '../helpers/browser-server'

// What browser mode does with what a (token-bearing) client sends: bodies, events, static files.

const fixture = useBrowserServer()

function post(body: string | Buffer, contentType = 'application/json', method = 'app.info') {
  const { server } = fixture()
  return fetch(`${server.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': contentType },
    body
  })
}

describe('browser server: contract call bodies', () => {
  it('refuses a body that is not application/json with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await post('{}', type)
      expect(response.status, type).toBe(415)
      expect(await response.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } })
    }
    expect((await post('{}', 'application/json; charset=utf-8')).status).toBe(200)
  })

  it('refuses a body over 1 MiB with 413', async () => {
    const big = JSON.stringify({ path: 'x'.repeat(1024 * 1024 + 10) })
    const response = await post(big, 'application/json', 'project.open')
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } })
  })

  it('accepts a body just under the limit and validates it as usual', async () => {
    const body = JSON.stringify({ path: 'x'.repeat(1024 * 1024 - 100) })
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024 * 1024)
    const response = await post(body, 'application/json', 'project.open')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: expect.stringContaining('too long') } })
  })

  it('answers invalid JSON with 400 INVALID_REQUEST', async () => {
    for (const body of ['{', '{"path": }', "{'single': 1}", 'undefined']) {
      const response = await post(body)
      expect(response.status, body).toBe(400)
      expect(await response.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } })
    }
  })

  it('treats an empty body as {}', async () => {
    const response = await post('', 'application/json', 'project.current')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true, value: null })
  })

  it('passes schema failures through as 200 INVALID_REQUEST envelopes', async () => {
    const response = await post(JSON.stringify({ path: 'a.pictor', extra: true }), 'application/json', 'project.open')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: expect.stringContaining('extra') } })
  })

  it('refuses GET on a contract call with 405 and an Allow header', async () => {
    const { server } = fixture()
    const response = await fetch(`${server.origin}/api/call/app.info`, { headers: { authorization: `Bearer ${server.token}` } })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
  })

  it('answers an unknown /api/ endpoint with a 404 NOT_FOUND envelope, not the app shell', async () => {
    const { server } = fixture()
    const response = await fetch(`${server.origin}/api/nothing`, { headers: { authorization: `Bearer ${server.token}` } })
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  it('runs real services: project.create writes the file and project.current reports it', async () => {
    const { server, root } = fixture()
    const created = await callApi(server, 'project.create', { path: join(root, 'via-http') })
    expect(created.envelope).toMatchObject({ ok: true, value: { path: join(root, 'via-http.pictor'), name: 'via-http' } })
    expect((await callApi(server, 'project.current')).envelope).toEqual(created.envelope)
    expect((await callApi(server, 'project.recent')).envelope).toMatchObject({ ok: true, value: [{ name: 'via-http', exists: true }] })
  })
})

describe('browser server: /api/events', () => {
  it('streams project.changed after a project.create call', async () => {
    const { server, root } = fixture()
    const abort = new AbortController()
    const timer = setTimeout(() => abort.abort(new Error('no project.changed event within 5 s')), 5000)
    try {
      const response = await fetch(`${server.origin}/api/events`, {
        headers: { authorization: `Bearer ${server.token}` },
        signal: abort.signal
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      const reader = response.body!.getReader()
      const decoder = new TextDecoder()
      let text = ''
      // The stream opens with a retry hint; only then is the subscription certainly in place.
      while (!text.includes('retry: 1000')) text += decoder.decode((await reader.read()).value, { stream: true })

      const created = await callApi(server, 'project.create', { path: join(root, 'streamed'), name: 'Streamed' })
      expect(created.envelope).toMatchObject({ ok: true })

      let event: unknown
      while (!event) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`the stream ended early: ${text}`)
        text += decoder.decode(value, { stream: true })
        const line = text.split('\n').find((l) => l.startsWith('data: '))
        if (line) event = JSON.parse(line.slice('data: '.length))
      }
      expect(event).toEqual({ name: 'project.changed', payload: (created.envelope as { value: unknown }).value })
      await reader.cancel()
    } finally {
      clearTimeout(timer)
      abort.abort()
    }
  })

  it('refuses the event stream without a token', async () => {
    const { server } = fixture()
    const response = await fetch(`${server.origin}/api/events`)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } })
  })
})

describe('browser server: static files', () => {
  const get = (path: string, method = 'GET') => {
    const { server } = fixture()
    return rawRequest({ port: server.port, path, method, headers: { authorization: `Bearer ${server.token}` } })
  }

  it('serves the app shell fresh and hashed assets immutable', async () => {
    const shell = await get('/')
    expect(shell.status).toBe(200)
    expect(shell.body).toBe(INDEX_HTML)
    expect(shell.headers['cache-control']).toBe('no-cache')
    const asset = await get('/assets/app.js')
    expect(asset.status).toBe(200)
    expect(asset.body).toBe(APP_JS)
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(asset.headers['cache-control']).toContain('immutable')
  })

  it('answers HEAD with headers only', async () => {
    const head = await get('/assets/app.js', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(APP_JS)))
    expect(head.body).toBe('')
  })

  it('answers client-side views with the shell, and missing files with 404', async () => {
    expect((await get('/library/cats')).body).toBe(INDEX_HTML)
    const missing = await get('/assets/missing.js')
    expect(missing.status).toBe(404)
    expect(missing.body).not.toContain('Pictor test shell')
  })

  it('refuses POST to a static path with 405', async () => {
    const response = await get('/index.html', 'POST')
    expect(response.status).toBe(405)
  })

  it('never serves a file outside the renderer folder, however the path is spelled', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/..\\..\\secret.txt',
      '/secret.txt%00.js',
      `/${'..%2f'.repeat(8)}secret.txt`
    ]) {
      const response = await get(path)
      expect([400, 404], `${path} → ${response.status}`).toContain(response.status)
      expect(response.body, path).not.toContain(SECRET)
    }
  })

  it('answers odd spellings that fold back inside with the app shell, never the file', async () => {
    // An extension-less path is a client-side view; `//x` parses as a host, leaving path `/`.
    for (const path of ['/../../../../etc/passwd', '//secret.txt', '/%2e%2e/%2e%2e/etc/passwd']) {
      const response = await get(path)
      expect(response.body, path).not.toMatch(/root:/)
      expect(response.body, path).not.toContain(SECRET)
      expect([200, 400, 404], path).toContain(response.status)
      if (response.status === 200) expect(response.body, path).toBe(INDEX_HTML)
    }
  })
})
