import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { Envelope } from '../../../src-main/contract/envelope'
import type { BackupInfo } from '../../../src-main/contract/types'
import { PICTOR_APPLICATION_ID } from '../../../src-main/db/connection'
import { LATEST_SCHEMA_VERSION, migrate } from '../../../src-main/db/migrations'
import { ProjectSession } from '../../../src-main/services/project-session'
import { createServices, type Services } from '../../../src-main/services/services'
import { damagePage } from '../../helpers/damage'
import { runPictor } from '../../helpers/pictor-process'
import { useTempDir } from '../../helpers/temp-dir'

// Issue 13, defect 5: Pictor keeps the last 3 consistent copies of a project (SQLite's online
// backup), after a migration and at most once per hour of work, in the data folder; a damaged
// project points to them, and restoring one keeps the damaged file aside.

const HOUR = 3_600_000
const tempDir = useTempDir()
const opened: { close(): void }[] = []
afterEach(() => {
  for (const item of opened.splice(0)) item.close()
})

const dataDir = () => join(tempDir(), 'data')

function services(): Services {
  const made = createServices({ dataDir: dataDir(), transport: 'browser' })
  opened.push(made)
  return made
}

function valueOf<T>(envelope: Envelope<T>): T {
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`)
  return envelope.value
}

function errorOf(envelope: Envelope<unknown>): { code: string; message: string } {
  if (envelope.ok) throw new Error(`expected a failed envelope, got ${JSON.stringify(envelope)}`)
  return envelope.error
}

/** A project written by the Pictor before this one: one schema version behind, with one source. */
function olderProject(name: string): string {
  const path = join(tempDir(), `${name}.pictor`)
  const db = new BetterSqlite3(path)
  db.pragma('journal_mode = WAL')
  db.pragma(`application_id = ${PICTOR_APPLICATION_ID}`)
  migrate(db, LATEST_SCHEMA_VERSION - 1)
  db.prepare('INSERT INTO project (id, name, created_at) VALUES (1, ?, 1)').run(name)
  db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/photos/old', 1)").run()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return path
}

function classNames(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true })
  try {
    return (db.prepare('SELECT name FROM classes ORDER BY id').all() as { name: string }[]).map((row) => row.name)
  } finally {
    db.close()
  }
}

function healthy(file: string): boolean {
  const db = new BetterSqlite3(file, { readonly: true })
  try {
    return db.pragma('quick_check', { simple: true }) === 'ok'
  } finally {
    db.close()
  }
}

describe('backups', () => {
  it('are made after a migration, in the data folder, as a consistent copy at the new schema', async () => {
    const path = olderProject('old')
    const app = services()
    expect(valueOf(await app.call('project.open', { path })).schemaVersion).toBe(LATEST_SCHEMA_VERSION)
    const backups = valueOf(await app.call('backups.list', { path }))
    expect(backups).toHaveLength(1)
    const [backup] = backups as [BackupInfo]
    expect(backup).toMatchObject({ reason: 'migration', schemaVersion: LATEST_SCHEMA_VERSION })
    expect(backup.file.startsWith(join(dataDir(), 'backups'))).toBe(true)
    expect(statSync(backup.file).size).toBe(backup.bytes)
    expect(healthy(backup.file)).toBe(true)
    const copy = new BetterSqlite3(backup.file, { readonly: true })
    expect(copy.prepare('SELECT root_path FROM sources').all()).toEqual([{ root_path: '/photos/old' }])
    expect(copy.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION)
    copy.close()
  })

  it('are made at most once per hour of work, only when the project changed, and only the last 3 are kept', async () => {
    let now = Date.now()
    const session = new ProjectSession({ dataDir: dataDir(), now: () => now })
    opened.push(session)
    const { path } = session.create(join(tempDir(), 'work'))
    session.db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/a', 1)").run()
    const first = await session.backupIfDue()
    expect(first).toMatchObject({ reason: 'periodic' })
    now += 30 * 60_000
    session.db.prepare("INSERT INTO sources (root_path, added_at) VALUES ('/b', 1)").run()
    expect(await session.backupIfDue()).toBeNull() // within the hour
    now += 31 * 60_000
    const second = await session.backupIfDue()
    expect(second).toMatchObject({ reason: 'periodic' })
    now += 2 * HOUR
    expect(await session.backupIfDue()).toBeNull() // nothing changed since
    const ids = [first!.id, second!.id]
    for (let round = 0; round < 3; round++) {
      session.db.prepare('INSERT INTO sources (root_path, added_at) VALUES (?, 1)').run(`/more/${round}`)
      await new Promise((resolve) => setTimeout(resolve, 20)) // the file's time moves past the last backup's
      now += HOUR
      ids.push((await session.backupIfDue())!.id)
    }
    const kept = session.backups(path).map((backup) => backup.id)
    expect(kept).toEqual(ids.slice(-3).reverse()) // newest first
    expect(readdirSync(dirname(session.backups(path)[0]!.file)).filter((name) => name.endsWith('.pictor'))).toHaveLength(3)
  })

  it('cut short by closing the project leave no half-written copy behind', async () => {
    const errors: unknown[] = []
    const session = new ProjectSession({ dataDir: dataDir(), onBackupError: (error) => errors.push(error) })
    opened.push(session)
    const { path } = session.create(join(tempDir(), 'big'))
    // ~20 MB: more than one 16 MiB step of a background backup.
    const insert = session.db.prepare("INSERT INTO image_features (content_hash, model_version, features, created_at) VALUES (?, 'm', ?, 1)")
    const features = Buffer.alloc(5120, 1)
    session.db.transaction(() => {
      for (let index = 0; index < 4000; index++) insert.run(`h${index}`, features)
    })()
    const backup = session.backupIfDue()
    session.close()
    await expect(backup).rejects.toThrow()
    expect(session.backups(path)).toEqual([])
    expect(readdirSync(join(dataDir(), 'backups')).flatMap((dir) => readdirSync(join(dataDir(), 'backups', dir))).filter((name) => name.includes('.pictor'))).toEqual([])
    expect(errors).toEqual([])
  })

  it('restore a damaged project from the newest backup, keeping the damaged file aside', async () => {
    const app = services()
    const path = olderProject('garden')
    valueOf(await app.call('project.open', { path }))
    valueOf(await app.call('classes.create', { name: 'roses' }))
    valueOf(await app.call('project.close', {}))
    damagePage(path, 3)
    const damaged = readFileSync(path)

    const refusal = errorOf(await app.dispatch('project.open', { path }))
    expect(refusal.code).toBe('CORRUPT_PROJECT')
    const [backup] = valueOf(await app.call('backups.list', { path })) as [BackupInfo]
    expect(refusal.message).toContain(backup.id)
    expect(refusal.message).toMatch(/restore/i)

    const restored = valueOf(await app.call('backups.restore', { path }))
    expect(restored.restored.id).toBe(backup.id)
    expect(restored.keptAside).not.toBeNull()
    expect(dirname(restored.keptAside!)).toBe(dirname(path))
    expect(readFileSync(restored.keptAside!).equals(damaged)).toBe(true)
    expect(healthy(path)).toBe(true)
    // The backup was taken right after the migration, before "roses".
    expect(classNames(path)).toEqual([])
    expect(valueOf(await app.call('project.open', { path })).path).toBe(path)
    expect(existsSync(backup.file)).toBe(true) // restoring copies; the backup stays
  })

  it('refuse a damaged backup and leave the project exactly as it was', async () => {
    const app = services()
    const path = olderProject('orchard')
    valueOf(await app.call('project.open', { path }))
    valueOf(await app.call('project.close', {}))
    const [backup] = valueOf(await app.call('backups.list', { path })) as [BackupInfo]
    damagePage(backup.file, 3)
    const before = readFileSync(path)
    const error = errorOf(await app.dispatch('backups.restore', { path, id: backup.id }))
    expect(error.code).toBe('CORRUPT_PROJECT')
    expect(readFileSync(path).equals(before)).toBe(true)
    expect(readdirSync(tempDir()).filter((name) => name.startsWith('orchard'))).toEqual(['orchard.pictor'])
    expect(errorOf(await app.dispatch('backups.restore', { path, id: 'no-such-backup' })).code).toBe('NOT_FOUND')
  })

  it('are listed and restored by `pictor backups`', () => {
    const path = olderProject('cli')
    const opened = runPictor(['info', '--project', path], { dataDir: dataDir() })
    expect(opened.status, opened.stderr).toBe(0)
    const list = runPictor(['backups', 'list', '--project', path, '--json'], { dataDir: dataDir() })
    expect(list.status, list.stderr).toBe(0)
    const backups = JSON.parse(list.stdout) as BackupInfo[]
    expect(backups).toHaveLength(1)
    const plain = runPictor(['backups', 'list', '--project', path], { dataDir: dataDir() })
    expect(plain.stdout).toContain(backups[0]!.id)
    expect(plain.stdout).toContain('migration')

    damagePage(path, 3)
    const restore = runPictor(['backups', 'restore', '--project', path, backups[0]!.id], { dataDir: dataDir() })
    expect(restore.status, restore.stderr).toBe(0)
    expect(restore.stdout).toContain(backups[0]!.id)
    expect(restore.stdout).toMatch(/kept as .*replaced-/)
    expect(runPictor(['info', '--project', path], { dataDir: dataDir() }).status).toBe(0)
  })
})
