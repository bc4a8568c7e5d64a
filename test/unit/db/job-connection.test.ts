import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import {
  JOB_BUSY_TIMEOUT_MS,
  SESSION_BUSY_TIMEOUT_MS,
  closeProjectDatabase,
  createProjectDatabase,
  openJobDatabase,
  openProjectDatabase,
  withJobDatabase
} from '../../../src-main/db/connection'
import { LATEST_SCHEMA_VERSION } from '../../../src-main/db/migrations'
import { insertProject } from '../../../src-main/db/queries/project'
import { expectAppError } from '../../helpers/app-error'
import { useTempDir } from '../../helpers/temp-dir'
import { OtherConnection } from './other-connection'

const tempDir = useTempDir()
const open: Database[] = []
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close()
})

function project(): string {
  const path = join(tempDir(), 'p.pictor')
  createProjectDatabase(path, (db) => insertProject(db, { name: 'P', createdAt: 1 })).close()
  return path
}

function setUserVersion(path: string, version: number): void {
  const raw = new BetterSqlite3(path)
  raw.pragma(`user_version = ${version}`)
  raw.close()
}

describe('openJobDatabase', () => {
  it('opens a project at this build’s schema with the job wait budget', () => {
    const db = openJobDatabase(project())
    open.push(db)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(JOB_BUSY_TIMEOUT_MS)
  })

  it('refuses an older schema without upgrading it: only the session migrates', () => {
    const path = project()
    setUserVersion(path, LATEST_SCHEMA_VERSION - 1)
    const error = expectAppError(() => openJobDatabase(path), 'UNSUPPORTED')
    expect(error.message).toContain(`v${LATEST_SCHEMA_VERSION - 1}`)
    const raw = new BetterSqlite3(path, { readonly: true })
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION - 1)
    raw.close()
  })

  it('refuses a newer schema as SCHEMA_TOO_NEW', () => {
    const path = project()
    setUserVersion(path, LATEST_SCHEMA_VERSION + 1)
    expectAppError(() => openJobDatabase(path), 'SCHEMA_TOO_NEW')
  })

  it('refuses a file that is not a project, like the session does', () => {
    const path = join(tempDir(), 'other.sqlite')
    const raw = new BetterSqlite3(path)
    raw.exec('CREATE TABLE x (y)')
    raw.close()
    expectAppError(() => openJobDatabase(path), 'NOT_A_PROJECT')
  })
})

describe('openProjectDatabase', () => {
  it('gives the session connection the short wait budget of the thread that answers the UI', () => {
    const db = openProjectDatabase(project())
    open.push(db)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(SESSION_BUSY_TIMEOUT_MS)
  })
})

describe('withJobDatabase', () => {
  it('closes the connection when the work succeeds and when it throws', async () => {
    const path = project()
    let seen: Database | undefined
    expect(
      await withJobDatabase(path, async (db) => {
        seen = db
        return db.pragma('user_version', { simple: true })
      })
    ).toBe(LATEST_SCHEMA_VERSION)
    expect(seen?.open).toBe(false)
    await expect(
      withJobDatabase(path, async (db) => {
        seen = db
        throw new Error('work failed')
      })
    ).rejects.toThrow('work failed')
    expect(seen?.open).toBe(false)
  })
})

describe('closeProjectDatabase', () => {
  it('folds the WAL back into the file when it is the only connection', () => {
    const path = project()
    const db = openProjectDatabase(path)
    db.prepare('UPDATE project SET name = ?').run('changed')
    expect(existsSync(`${path}-wal`)).toBe(true)
    closeProjectDatabase(db)
    expect(db.open).toBe(false)
    expect(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0).toBe(true)
  })

  it('does not wait for another connection’s write lock (a checkpoint would hold up its writes)', async () => {
    const path = project()
    const db = openProjectDatabase(path)
    db.prepare('UPDATE project SET name = ?').run('changed')
    const other = new OtherConnection(path)
    try {
      const { released } = await other.holdWriteLock(1500)
      const started = Date.now()
      closeProjectDatabase(db)
      expect(Date.now() - started).toBeLessThan(500)
      expect(db.open).toBe(false)
      await released
    } finally {
      await other.close()
    }
  })
})
