import type { Database } from 'better-sqlite3'
import { AppError } from '../core/errors'
import { writeTransaction } from './transaction'

// Migration files are bundled as text at build time, so the app never looks for them on disk.
const files = import.meta.glob('./migrations/*.sql', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>

export interface Migration {
  version: number
  name: string
  sql: string
}

/** Parses `NNN-name.sql` file names and insists on versions 1, 2, 3, ... with no gap or repeat. */
export function loadMigrations(sources: Record<string, string> = files): Migration[] {
  const migrations = Object.entries(sources).map(([file, sql]) => {
    const match = /(?:^|\/)(\d+)-([\w-]+)\.sql$/.exec(file)
    if (!match) throw new Error(`migration file name must be NNN-name.sql: ${file}`)
    return { version: Number(match[1]), name: match[2]!, sql }
  })
  migrations.sort((a, b) => a.version - b.version)
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migrations must be numbered 1..n without gaps: found ${migration.version} at ${index + 1}`)
    }
  })
  return migrations
}

export const MIGRATIONS = loadMigrations()
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

/**
 * Brings a project up to `target` (the latest by default). Each migration runs in its own
 * transaction together with its `user_version` bump, so a crash leaves the file at a whole version.
 * A file from a newer Pictor is refused rather than opened and misread.
 */
export function migrate(db: Database, target?: number, migrations = MIGRATIONS): number {
  const last = target ?? migrations.length
  const current = schemaVersion(db)
  if (current > migrations.length) {
    throw new AppError(
      'SCHEMA_TOO_NEW',
      `this project was saved by a newer Pictor (schema v${current}; this version reads up to v${migrations.length}). Update Pictor to open it.`
    )
  }
  // SQLite's documented way to rebuild a table: foreign keys off (it cannot change inside a
  // transaction), then a foreign_key_check before each commit so no migration can break them.
  const enforced = db.pragma('foreign_keys', { simple: true }) === 1
  db.pragma('foreign_keys = OFF')
  try {
    for (const migration of migrations) {
      if (migration.version <= current || migration.version > last) continue
      writeTransaction(db, () => {
        // Another process may have opened the same project a moment earlier and migrated it: with
        // the write lock held, the version read now is final.
        if (schemaVersion(db) >= migration.version) return
        db.exec(migration.sql)
        const broken = db.pragma('foreign_key_check') as unknown[]
        if (broken.length > 0) {
          throw new Error(`migration ${migration.version}-${migration.name} broke ${broken.length} foreign key(s)`)
        }
        db.pragma(`user_version = ${migration.version}`)
      })
    }
  } finally {
    if (enforced) db.pragma('foreign_keys = ON')
  }
  return schemaVersion(db)
}
