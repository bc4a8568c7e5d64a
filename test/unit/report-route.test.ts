import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runLogDir } from '../../src-main/core/run-folders'
import { createRun, setRunLogDir } from '../../src-main/db/queries/training-runs'
import { answerPath } from '../../src-main/server/app-routes'
import { REPORT_CONTENT_SECURITY_POLICY, reportRunIdFor } from '../../src-main/server/report-route'
import { rawRequest, SECRET, useBrowserServer } from '../helpers/browser-server'
import { trainSettings } from '../helpers/training-project'

// `/reports/<run id>`: the open project's run's report file, found through the project database,
// served with a policy of its own (no script at all). A file stands in for the report here; the
// report job's own file is served in report-handlers.test.ts.

const REPORT = '<!doctype html><title>run report</title><h1>run 1</h1>'

describe('reportRunIdFor', () => {
  it.each([
    ['/reports/1', 1],
    ['/reports/42', 42]
  ])('%s → run %d', (path, id) => expect(reportRunIdFor(path)).toBe(id))

  it.each(['/reports/', '/reports/0', '/reports/01', '/reports/1/', '/reports/1.html', '/reports/-1', '/reports/..%2f1', '/reports/1%00', '/reports/99999999999999999'])(
    'refuses %s',
    (path) => expect(reportRunIdFor(path)).toBeNull()
  )
})

describe('the report route in browser mode', () => {
  const fixture = useBrowserServer()
  const get = (path: string, token = true) =>
    rawRequest({ port: fixture().server.port, path, headers: token ? { authorization: `Bearer ${fixture().server.token}` } : {} })

  /** A project with runs 1 (its folder recorded) and 2 (none recorded: the project's default folder). */
  async function project(): Promise<{ path: string; first: string; second: string }> {
    const { root, services } = fixture()
    const path = join(root, 'flowers.pictor')
    const opened = await services.call('project.create', { path })
    if (!opened.ok) throw new Error(opened.error.message)
    const db = services.session.db
    const settings = trainSettings()
    const first = createRun(db, { modelKind: 'cnn', settings, classNames: ['a', 'b'], backend: null })
    const second = createRun(db, { modelKind: 'cnn', settings, classNames: ['a', 'b'], backend: null })
    const logs = join(root, 'elsewhere', 'run-1')
    setRunLogDir(db, first, logs)
    return { path, first: join(logs, 'report.html'), second: join(runLogDir(path, second), 'report.html') }
  }

  it('answers 404 with no project open', async () => {
    expect((await get('/reports/1')).status).toBe(404)
  })

  it("serves a run's report from its log folder as HTML that may run no script, uncached, to a token holder only", async () => {
    const { first } = await project()
    expect((await get('/reports/1')).status).toBe(404)
    mkdirSync(join(first, '..'), { recursive: true })
    writeFileSync(first, REPORT)
    const served = await get('/reports/1')
    expect(served.status).toBe(200)
    expect(served.body).toBe(REPORT)
    expect(served.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(served.headers['cache-control']).toBe('no-store')
    expect(served.headers['content-security-policy']).toBe(REPORT_CONTENT_SECURITY_POLICY)
    expect(REPORT_CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; img-src data:; style-src 'unsafe-inline';/)
    expect(REPORT_CONTENT_SECURITY_POLICY).not.toMatch(/script-src|'self' data:|https?:/)
    expect(served.headers['x-content-type-options']).toBe('nosniff')
    expect((await get('/reports/1', false)).status).toBe(401)
    // The app's own pages keep the app's policy; the app may frame its own origin (Print).
    const shell = await get('/')
    expect(shell.headers['content-security-policy']).toContain("script-src 'self'")
    expect(shell.headers['content-security-policy']).toContain("frame-src 'self'")
  })

  it("a run without a recorded folder uses the project's default one; unknown runs and other paths are 404", async () => {
    const { second } = await project()
    mkdirSync(join(second, '..'), { recursive: true })
    writeFileSync(second, REPORT)
    expect((await get('/reports/2')).body).toBe(REPORT)
    for (const path of ['/reports/3', '/reports/0', '/reports/2/', '/reports/2.html', '/reports/..%2f..%2fsecret.txt', '/reports/%2e%2e/secret.txt']) {
      const answer = await get(path)
      expect(answer.status, path).toBe(404)
      expect(answer.body).not.toContain(SECRET)
    }
  })

  it('a symbolic link where the report belongs is not followed', async () => {
    const { root } = fixture()
    const { first } = await project()
    mkdirSync(join(first, '..'), { recursive: true })
    symlinkSync(join(root, 'secret.txt'), first)
    const answer = await get('/reports/1')
    expect(answer.status).toBe(404)
    expect(answer.body).not.toContain(SECRET)
  })

  it('the same answer reaches Electron: app-routes gives the policy with the bytes', async () => {
    const { services, rendererDir } = fixture()
    const { first } = await project()
    mkdirSync(join(first, '..'), { recursive: true })
    writeFileSync(first, REPORT)
    const answer = await answerPath('/reports/1', { rendererDir, thumbnails: services.thumbnails, session: services.session })
    expect(answer).toMatchObject({ kind: 'bytes', contentType: 'text/html; charset=utf-8', contentSecurityPolicy: REPORT_CONTENT_SECURITY_POLICY })
  })
})
