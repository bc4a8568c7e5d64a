import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { PICTOR_APPLICATION_ID, createProjectDatabase, openProjectDatabase } from '../../src-main/db/connection'
import { LATEST_SCHEMA_VERSION } from '../../src-main/db/migrations'
import { ProjectSession, withProjectExtension } from '../../src-main/services/project-session'
import { expectAppError } from '../helpers/app-error'
import { useTempDir } from '../helpers/temp-dir'

const tempDir = useTempDir()
const open: Database[] = []
const sessions: ProjectSession[] = []

/** Tracks a connection or session so afterEach closes it before the folder is removed. */
function track<T extends Database | ProjectSession>(value: T): T {
  if (value instanceof ProjectSession) sessions.push(value)
  else open.push(value)
  return value
}

afterEach(() => {
  for (const session of sessions.splice(0)) session.close()
  for (const db of open.splice(0)) if (db.open) db.close()
})

const file = (name: string): string => join(tempDir(), name)

describe('createProjectDatabase', () => {
  it('creates a WAL-mode file stamped with the Pictor application_id at the latest schema', () => {
    const path = file('new.pictor')
    const db = track(createProjectDatabase(path))
    expect(existsSync(path)).toBe(true)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('application_id', { simple: true })).toBe(PICTOR_APPLICATION_ID)
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'images'").get()).toEqual({ n: 1 })
    // 'PICT' at offset 68 of the header is what tells a Pictor file from any other SQLite file.
    db.close()
    expect(readFileSync(path).subarray(68, 72).toString('latin1')).toBe('PICT')
  })

  it('refuses to overwrite an existing file, leaving it untouched', () => {
    const path = file('taken.pictor')
    writeFileSync(path, 'precious')
    expectAppError(() => createProjectDatabase(path), 'ALREADY_EXISTS')
    expect(readFileSync(path, 'utf8')).toBe('precious')
  })

  it('answers NOT_FOUND when the parent folder is missing, creating nothing', () => {
    const path = join(tempDir(), 'no', 'such', 'folder', 'p.pictor')
    const error = expectAppError(() => createProjectDatabase(path), 'NOT_FOUND')
    expect(error.message).toContain(join(tempDir(), 'no', 'such', 'folder'))
    expect(existsSync(join(tempDir(), 'no'))).toBe(false)
  })
})

describe('openProjectDatabase', () => {
  it('opens a project it created, at the latest schema in WAL mode', () => {
    const path = file('round.pictor')
    createProjectDatabase(path).close()
    const db = track(openProjectDatabase(path))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
  })

  it('answers NOT_FOUND for a missing file and does not create it', () => {
    const path = file('ghost.pictor')
    expectAppError(() => openProjectDatabase(path), 'NOT_FOUND')
    expect(existsSync(path)).toBe(false)
  })

  it('answers NOT_A_PROJECT for a text file renamed .pictor, leaving it untouched', () => {
    const path = file('notes.pictor')
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(10))
    expectAppError(() => openProjectDatabase(path), 'NOT_A_PROJECT')
    expect(readFileSync(path, 'utf8')).toMatch(/^these are my notes/)
  })

  it('answers NOT_A_PROJECT for a zero-byte file', () => {
    const path = file('empty.pictor')
    writeFileSync(path, '')
    expectAppError(() => openProjectDatabase(path), 'NOT_A_PROJECT')
    expect(statSync(path).size).toBe(0)
  })

  it('answers NOT_A_PROJECT for a folder', () => {
    const path = file('folder.pictor')
    mkdirSync(path)
    expectAppError(() => openProjectDatabase(path), 'NOT_A_PROJECT')
  })

  it("answers NOT_A_PROJECT for another app's SQLite file and does not switch it to WAL", () => {
    const path = file('other-app.sqlite')
    const other = new BetterSqlite3(path)
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello')")
    other.close()
    const error = expectAppError(() => openProjectDatabase(path), 'NOT_A_PROJECT')
    expect(error.message).toContain('not a Pictor project')
    const check = track(new BetterSqlite3(path, { readonly: true }))
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete')
    expect(check.prepare('SELECT body FROM notes').all()).toEqual([{ body: 'hello' }])
  })

  it('answers SCHEMA_TOO_NEW for a project from a newer Pictor, leaving its version alone', () => {
    const path = file('future.pictor')
    const db = createProjectDatabase(path)
    db.pragma('user_version = 99')
    db.close()
    const error = expectAppError(() => openProjectDatabase(path), 'SCHEMA_TOO_NEW')
    expect(error.message).toContain('v99')
    const check = track(new BetterSqlite3(path, { readonly: true }))
    expect(check.pragma('user_version', { simple: true })).toBe(99)
  })

  it('upgrades a Pictor file at schema v0 to the latest', () => {
    const path = file('old.pictor')
    const raw = new BetterSqlite3(path)
    raw.pragma(`application_id = ${PICTOR_APPLICATION_ID}`)
    raw.close()
    const db = track(openProjectDatabase(path))
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
  })
})

describe('ProjectSession', () => {
  it('has no project at first: summary is null and db answers NO_PROJECT', () => {
    const session = track(new ProjectSession())
    expect(session.summary).toBeNull()
    expectAppError(() => session.db, 'NO_PROJECT')
  })

  it('create adds the .pictor extension and names the project after the file', () => {
    const session = track(new ProjectSession())
    const before = Date.now()
    const summary = session.create(file('Garden Birds'))
    expect(summary).toEqual({
      path: file('Garden Birds.pictor'),
      name: 'Garden Birds',
      schemaVersion: LATEST_SCHEMA_VERSION,
      createdAt: expect.any(Number),
      readOnly: false
    })
    expect(summary.createdAt).toBeGreaterThanOrEqual(before)
    expect(existsSync(file('Garden Birds.pictor'))).toBe(true)
    expect(session.summary).toEqual(summary)
  })

  it('keeps an existing extension (any case) and a given name, trimmed', () => {
    const session = track(new ProjectSession())
    const summary = session.create(file('Shouty.PICTOR'), '  My Cats  ')
    expect(summary.path).toBe(file('Shouty.PICTOR'))
    expect(summary.name).toBe('My Cats')
    expect(withProjectExtension('/x/a.pictor')).toBe('/x/a.pictor')
    expect(withProjectExtension('/x/a.sqlite')).toBe('/x/a.sqlite.pictor')
  })

  // The contract refuses relative paths (contract/paths.ts); the session still resolves what a
  // caller inside the process (the CLI, which resolved already, or a test) hands it.
  it('resolves a relative path against the working directory', () => {
    const session = track(new ProjectSession())
    const cwd = process.cwd()
    process.chdir(tempDir())
    try {
      expect(session.create('relative').path).toBe(join(process.cwd(), 'relative.pictor'))
    } finally {
      process.chdir(cwd)
    }
  })

  it('close() checkpoints the WAL so the project is one self-contained file', () => {
    const session = track(new ProjectSession())
    const { path } = session.create(file('tidy'))
    session.db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/photos', 1)").run()
    expect(existsSync(`${path}-wal`)).toBe(true)
    session.close()
    expect(session.summary).toBeNull()
    expect(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0).toBe(true)
    // Everything written is in the main file itself.
    const check = track(new BetterSqlite3(path, { readonly: true }))
    expect(check.prepare('SELECT root_path FROM sources').all()).toEqual([{ root_path: '/photos' }])
  })

  it('reopening gives the same summary', () => {
    const first = track(new ProjectSession())
    const created = first.create(file('again'), 'Again')
    first.close()
    const second = track(new ProjectSession())
    expect(second.open(created.path)).toEqual(created)
    // Opening the project that is already open is a no-op answering the same summary.
    expect(second.open(created.path)).toEqual(created)
  })

  it('opening another project closes the first', () => {
    const session = track(new ProjectSession())
    const a = session.create(file('a'))
    const b = session.create(file('b'))
    expect(session.summary).toEqual(b)
    expect(!existsSync(`${a.path}-wal`) || statSync(`${a.path}-wal`).size === 0).toBe(true)
    expect(session.open(a.path)).toEqual(a)
    expect(session.summary?.path).toBe(a.path)
  })

  it('refuses a Pictor file without a project record, keeping the current project open', () => {
    const session = track(new ProjectSession())
    const current = session.create(file('current'))
    createProjectDatabase(file('hollow.pictor')).close()
    expectAppError(() => session.open(file('hollow.pictor')), 'NOT_A_PROJECT')
    expect(session.summary).toEqual(current)
  })
})
