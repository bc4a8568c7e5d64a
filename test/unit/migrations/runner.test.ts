import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../src-main/core/errors'
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  loadMigrations,
  migrate,
  schemaVersion,
  type Migration
} from '../../../src-main/db/migrations'
import { useTempDir } from '../../helpers/temp-dir'

const tempDir = useTempDir()
let db: Database

beforeEach(() => {
  db = new BetterSqlite3(join(tempDir(), 'runner.sqlite'))
})

afterEach(() => {
  db.close()
})

const tables = (): string[] =>
  (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (row) => row.name
  )

const fake: Migration[] = [
  { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
  { version: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER) STRICT; INSERT INTO a VALUES (1);' },
  { version: 3, name: 'three', sql: 'CREATE TABLE c (z INTEGER) STRICT;' }
]

describe('loadMigrations', () => {
  it('parses NNN-name.sql into ordered versions, whatever the record order', () => {
    const loaded = loadMigrations({
      './migrations/002-add-things.sql': 'B',
      './migrations/001-initial.sql': 'A',
      './migrations/010-late_one.sql': 'J',
      ...Object.fromEntries(
        [3, 4, 5, 6, 7, 8, 9].map((n) => [`./migrations/${String(n).padStart(3, '0')}-m${n}.sql`, String(n)])
      )
    })
    expect(loaded.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(loaded[0]).toEqual({ version: 1, name: 'initial', sql: 'A' })
    expect(loaded[1]).toEqual({ version: 2, name: 'add-things', sql: 'B' })
    expect(loaded[9]).toEqual({ version: 10, name: 'late_one', sql: 'J' })
  })

  it('accepts an empty set', () => {
    expect(loadMigrations({})).toEqual([])
  })

  it('rejects a gap in the numbering', () => {
    expect(() => loadMigrations({ './m/001-a.sql': '', './m/003-c.sql': '' })).toThrow(/without gaps: found 3 at 2/)
  })

  it('rejects a set that does not start at 1', () => {
    expect(() => loadMigrations({ './m/002-b.sql': '' })).toThrow(/without gaps/)
    expect(() => loadMigrations({ './m/000-zero.sql': '', './m/001-a.sql': '' })).toThrow(/without gaps/)
  })

  it('rejects a repeated version', () => {
    expect(() => loadMigrations({ './m/001-a.sql': '', './m/001-b.sql': '' })).toThrow(/without gaps: found 1 at 2/)
  })

  it('rejects names that are not NNN-name.sql', () => {
    for (const file of ['./m/initial.sql', './m/001.sql', './m/001-a.txt', './m/001-a b.sql', './m/001-.sql']) {
      expect(() => loadMigrations({ [file]: '' }), file).toThrow(/NNN-name\.sql/)
    }
  })

  it('bundles the real migrations, starting with 001-initial', () => {
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(1)
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length)
    expect(MIGRATIONS[0]?.name).toBe('initial')
    expect(MIGRATIONS[0]?.sql).toContain('CREATE TABLE project')
  })
})

describe('migrate', () => {
  it('runs every migration up to the latest and reports the version', () => {
    expect(migrate(db, fake.length, fake)).toBe(3)
    expect(schemaVersion(db)).toBe(3)
    expect(tables()).toEqual(['a', 'b', 'c'])
  })

  it('stops at the target and continues from there later', () => {
    expect(migrate(db, 1, fake)).toBe(1)
    expect(tables()).toEqual(['a'])
    expect(migrate(db, 3, fake)).toBe(3)
    expect(tables()).toEqual(['a', 'b', 'c'])
  })

  it('is idempotent: a second run changes nothing', () => {
    migrate(db, 3, fake)
    expect(migrate(db, 3, fake)).toBe(3)
    // Migration 2 inserted a row; running it twice would have inserted two.
    expect(db.prepare('SELECT count(*) AS n FROM a').get()).toEqual({ n: 1 })
  })

  it('is idempotent with the real migrations', () => {
    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION)
    const before = db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all()
    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION)
    expect(db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all()).toEqual(before)
  })

  it('skips a migration that another connection applied after this one read the version', () => {
    const path = join(tempDir(), 'runner.sqlite')
    const other = new BetterSqlite3(path)
    // Both read v0; the other connection migrates first, just before this one's first migration.
    class RacedMigrations extends Array<Migration> {
      override *[Symbol.iterator](): ArrayIterator<Migration> {
        migrate(other, 3, fake)
        yield* fake
      }
    }
    const raced = RacedMigrations.from(fake) as Migration[]
    try {
      expect(migrate(db, 3, raced)).toBe(3)
      expect(tables()).toEqual(['a', 'b', 'c'])
      // Migration 2's insert ran once, not once per connection.
      expect(db.prepare('SELECT count(*) AS n FROM a').get()).toEqual({ n: 1 })
    } finally {
      other.close()
    }
  })

  it('refuses a database newer than the latest migration with SCHEMA_TOO_NEW, touching nothing', () => {
    db.pragma('user_version = 4')
    let caught: unknown
    try {
      migrate(db, fake.length, fake)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(AppError)
    expect((caught as AppError).code).toBe('SCHEMA_TOO_NEW')
    expect((caught as AppError).message).toContain('v4')
    expect(schemaVersion(db)).toBe(4)
    expect(tables()).toEqual([])
  })

  it('refuses a real project from a newer Pictor', () => {
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`)
    expect(() => migrate(db)).toThrow(expect.objectContaining({ code: 'SCHEMA_TOO_NEW' }))
  })

  it('rolls a failing migration back whole and leaves user_version at the previous one', () => {
    const broken: Migration[] = [
      fake[0]!,
      // The first statement succeeds, the second is bad SQL: neither may survive.
      { version: 2, name: 'broken', sql: 'CREATE TABLE half (x INTEGER) STRICT; INSERT INTO a VALUES (7); CREATE TABL oops;' },
      fake[2]!
    ]
    expect(() => migrate(db, broken.length, broken)).toThrow(/syntax error/)
    expect(schemaVersion(db)).toBe(1)
    expect(tables()).toEqual(['a'])
    expect(db.prepare('SELECT count(*) AS n FROM a').get()).toEqual({ n: 0 })
    expect(db.inTransaction).toBe(false)

    // Fixed, the same database carries on from v1.
    expect(migrate(db, fake.length, fake)).toBe(3)
    expect(tables()).toEqual(['a', 'b', 'c'])
  })

  it('rolls back a migration that violates a constraint at run time', () => {
    const violating: Migration[] = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER NOT NULL) STRICT;' },
      { version: 2, name: 'bad-data', sql: "ALTER TABLE a ADD COLUMN y TEXT; INSERT INTO a (x) VALUES ('text');" }
    ]
    expect(() => migrate(db, violating.length, violating)).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(schemaVersion(db)).toBe(1)
    const columns = (db.prepare('SELECT name FROM pragma_table_info(?)').all('a') as { name: string }[]).map((c) => c.name)
    expect(columns).toEqual(['x'])
  })
})
