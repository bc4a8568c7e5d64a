import { createHash } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { BackupInfo } from '../contract/types'
import { AppError } from '../core/errors'
import { notFound } from '../core/not-found'

// Consistent copies of a project, made with SQLite's online backup API (a plain file copy of a
// project in WAL mode, being written, can be torn). They live in the data folder, one folder per
// project: never beside the project, where they would triple what a synced or backed-up folder
// carries and could not be written in a read-only one, and where deleting or damaging the project's
// folder would take them along. The folder is named after the project and a hash of its path, so a
// project that is moved starts a new set (README: Data locations).

export type BackupReason = BackupInfo['reason']
export const KEEP_BACKUPS = 3
const REASONS: readonly BackupReason[] = ['migration', 'periodic']
/** <id>.<reason>.pictor, the id being the time: 2025-06-01T12-00-00-000Z */
const BACKUP_FILE = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.([a-z]+)\.pictor$/
const PARTIAL = '.partial'

/** Pages copied per step of a background backup: 16 MiB, a few milliseconds of the event loop. */
const PAGES_PER_STEP = 4096
/** Another connection's write restarts an online backup; after this many it waits for a calmer time. */
const MAX_RESTARTS = 3

function idOf(time: number): string {
  return new Date(time).toISOString().replace(/[:.]/g, '-')
}

/** The schema version in an SQLite file's header (user_version, bytes 60-63), without opening it. */
function headerSchemaVersion(file: string): number {
  const fd = openSync(file, 'r')
  try {
    const header = Buffer.alloc(4)
    return readSync(fd, header, 0, 4, 60) === 4 ? header.readUInt32BE(0) : 0
  } finally {
    closeSync(fd)
  }
}

export class ProjectBackups {
  readonly dir: string

  constructor(
    backupsRoot: string,
    readonly projectPath: string,
    readonly keep = KEEP_BACKUPS
  ) {
    const name = basename(projectPath).replace(/\.pictor$/i, '').replace(/[^\w.-]+/g, '_').slice(0, 40)
    const hash = createHash('sha256').update(projectPath).digest('hex').slice(0, 12)
    this.dir = join(backupsRoot, `${name}-${hash}`)
  }

  /** Newest first. */
  list(): BackupInfo[] {
    const names = existsSync(this.dir) ? readdirSync(this.dir) : []
    const backups: BackupInfo[] = []
    for (const name of names) {
      const match = BACKUP_FILE.exec(name)
      if (!match || !REASONS.includes(match[6] as BackupReason)) continue
      const [, day, hours, minutes, seconds, millis] = match
      const file = join(this.dir, name)
      try {
        backups.push({
          id: name.slice(0, name.indexOf('.')),
          createdAt: Date.parse(`${day}T${hours}:${minutes}:${seconds}.${millis}Z`),
          reason: match[6] as BackupReason,
          schemaVersion: headerSchemaVersion(file),
          bytes: statSync(file).size,
          file
        })
      } catch {
        // Removed while listing (pruned by another process): not a backup any more.
      }
    }
    return backups.sort((a, b) => b.createdAt - a.createdAt)
  }

  find(id?: string): BackupInfo {
    const backups = this.list()
    const found = id === undefined ? backups[0] : backups.find((backup) => backup.id === id)
    if (found) return found
    if (id === undefined) throw new AppError('NOT_FOUND', `Pictor has no backup of ${this.projectPath}`)
    throw notFound('backup', id)
  }

  /**
   * Copies the project through `db` into a new backup, then keeps only the newest `keep`. `atOnce`
   * copies in one step (a migration's backup, while the user waits for the project to open);
   * otherwise it goes 16 MiB at a time, and gives up with BUSY if other writers keep restarting it.
   */
  async create(db: Database, reason: BackupReason, now: number, atOnce = false): Promise<BackupInfo> {
    mkdirSync(this.dir, { recursive: true })
    this.#removePartials()
    writeFileSync(join(this.dir, 'project.json'), JSON.stringify({ path: this.projectPath }, null, 2))
    let time = now
    while (existsSync(join(this.dir, `${idOf(time)}.${reason}.pictor`)) || this.list().some((b) => b.id === idOf(time))) time++
    const file = join(this.dir, `${idOf(time)}.${reason}.pictor`)
    const partial = `${file}${PARTIAL}`
    let restarts = 0
    let remaining = Infinity
    try {
      await db.backup(partial, {
        progress: ({ remainingPages }) => {
          if (remainingPages > remaining && ++restarts > MAX_RESTARTS) {
            throw new AppError('BUSY', 'the project kept changing during its backup; it is tried again later')
          }
          remaining = remainingPages
          return atOnce ? 0x7fffffff : PAGES_PER_STEP
        }
      })
      const fd = openSync(partial, 'r+')
      try {
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      await rename(partial, file)
    } catch (error) {
      await rm(partial, { force: true })
      await rm(`${partial}-journal`, { force: true })
      throw error
    }
    this.#prune()
    return this.list().find((backup) => backup.file === file)!
  }

  #prune(): void {
    for (const old of this.list().slice(this.keep)) rmSync(old.file, { force: true })
  }

  /** What a backup interrupted by a crash left (an hour old: a younger one may still be being written). */
  #removePartials(): void {
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(PARTIAL) && !name.endsWith(`${PARTIAL}-journal`)) continue
      const file = join(this.dir, name)
      if (Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 3_600_000) rmSync(file, { force: true })
    }
  }
}
