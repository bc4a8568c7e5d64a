import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createDispatcher, type Handlers } from '../../src-main/core/dispatcher'
import { openProjectDatabase } from '../../src-main/db/connection'
import { migrate, type Migration } from '../../src-main/db/migrations'
import { resolveConfinedPath } from '../../src-main/server/app-routes'
import { RecentProjects } from '../../src-main/services/recent-projects'
import { createServices } from '../../src-main/services/services'
import { expectAppError } from '../helpers/app-error'
import { rawRequest, useBrowserServer } from '../helpers/browser-server'
import { useTempDir } from '../helpers/temp-dir'

// Bugs found by reading the first version of the code; each test failed before its fix.
const tempDir = useTempDir()

describe('fixed bugs', () => {
  it('a file with an SQLite header and a damaged body is NOT_A_PROJECT, not INTERNAL', () => {
    const path = join(tempDir(), 'damaged.pictor')
    writeFileSync(path, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(200, 7)]))
    expectAppError(() => openProjectDatabase(path), 'NOT_A_PROJECT')
  })

  it('a very long file name gives a project with a shortened name and leaves nothing half-made', async () => {
    const services = createServices({ dataDir: join(tempDir(), 'data'), transport: 'cli' })
    try {
      const answer = await services.call('project.create', { path: join(tempDir(), 'x'.repeat(230)) })
      expect(answer).toMatchObject({ ok: true, value: { name: 'x'.repeat(200) } })
      const failed = await services.call('project.create', { path: join(tempDir(), 'y'), name: 'z'.repeat(201) })
      expect(failed).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } })
      expect(readdirSync(tempDir()).filter((name) => name.startsWith('y'))).toEqual([])
    } finally {
      services.close()
    }
  })

  it('overlapping recent-project updates keep every entry', async () => {
    const recent = new RecentProjects(tempDir())
    await Promise.all(['/a', '/b', '/c'].map((path, index) => recent.remember({ path, name: path }, index)))
    expect((await recent.list()).map((entry) => entry.path).sort()).toEqual(['/a', '/b', '/c'])
  })

  it('migrate with a custom list defaults to that list’s last version', () => {
    const db = new BetterSqlite3(':memory:')
    const two: Migration[] = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      { version: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER) STRICT;' }
    ]
    expect(migrate(db, undefined, two)).toBe(2)
    db.close()
  })

  it('the dispatcher resolves even for a method that cannot be turned into a string', async () => {
    const dispatch = createDispatcher({} as Handlers)
    await expect(dispatch(Object.create(null) as string, {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_METHOD' }
    })
  })

  it('a file whose name starts with two dots is inside the root', () => {
    expect(resolveConfinedPath('/srv/app', '/..foo')).toBe('/srv/app/..foo')
    expect(existsSync('/srv/app/..foo')).toBe(false)
  })
})

describe('fixed bugs in browser mode', () => {
  const fixture = useBrowserServer()

  it('a malformed method name or request line is a 400, never a 500', async () => {
    const { server } = fixture()
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }
    const method = await rawRequest({ port: server.port, path: '/api/call/%E0%A4%A', method: 'POST', headers, body: '{}' })
    expect(method.status).toBe(400)
    const line = await rawRequest({ port: server.port, path: '//[' })
    expect(line.status).toBe(400)
  })

  it('the token-for-cookie redirect never points at another host', async () => {
    const { server } = fixture()
    const answer = await rawRequest({ port: server.port, path: `/.//evil.example/?token=${server.token}` })
    expect(answer.status).toBe(303)
    expect(answer.headers.location).toMatch(/^\/[^/]/)
  })
})
