import { basename, extname, join, resolve } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { BackupInfo, BackupRestoreResult, ProjectSummary } from '../contract/types'
import { AppError } from '../core/errors'
import { ProjectBackups } from '../db/backup'
import { restoreBackup } from '../db/backup-restore'
import { BackupSchedule } from '../db/backup-schedule'
import { closeProjectDatabase, createProjectDatabase, openProject } from '../db/connection'
import { IntegrityMemory } from '../db/integrity'
import { schemaVersion } from '../db/migrations'
import { getProject, insertProject } from '../db/queries/project'
import { tryMarkInterruptedRuns } from './run-leases'

export const PROJECT_EXTENSION = '.pictor'
const MAX_NAME_LENGTH = 200

export interface SessionOptions {
  /** The data folder: backups and the integrity memory live there. Without it, neither is kept. */
  dataDir?: string
  now?: () => number
  /** Where a backup that failed in the background is reported (it is tried again later). */
  onBackupError?: (error: unknown) => void
}

interface OpenProject {
  db: Database
  summary: ProjectSummary
  schedule: BackupSchedule | null
}

/** The project this process has open: at most one, with one connection (read-only for a read-only project). */
export class ProjectSession {
  #current: OpenProject | null = null
  /** The backup taken after a migration, which the caller may wait for. */
  #pendingBackup: Promise<unknown> = Promise.resolve()
  readonly #backupsRoot: string | null
  readonly #integrity: IntegrityMemory | undefined
  readonly #now: () => number
  readonly #onBackupError: (error: unknown) => void

  constructor(options: SessionOptions = {}) {
    this.#backupsRoot = options.dataDir ? join(options.dataDir, 'backups') : null
    this.#integrity = options.dataDir ? new IntegrityMemory(join(options.dataDir, 'integrity.json')) : undefined
    this.#now = options.now ?? Date.now
    this.#onBackupError =
      options.onBackupError ?? ((error) => console.warn(`[pictor] backup skipped: ${error instanceof Error ? error.message : String(error)}`))
  }

  get summary(): ProjectSummary | null {
    return this.#current?.summary ?? null
  }

  /** The open project's database, or a NO_PROJECT error a user understands. */
  get db(): Database {
    if (!this.#current) throw new AppError('NO_PROJECT', 'no project is open: create or open one first')
    return this.#current.db
  }

  create(path: string, name?: string): ProjectSummary {
    const file = withProjectExtension(resolve(path))
    // The file name is only a default: long ones are cut to the 200 characters a name may have.
    const projectName = name?.trim() || [...basename(file, PROJECT_EXTENSION)].slice(0, MAX_NAME_LENGTH).join('')
    const db = createProjectDatabase(file, (fresh) => insertProject(fresh, { name: projectName, createdAt: Date.now() }))
    return this.#adopt(file, db, false)
  }

  open(path: string): ProjectSummary {
    const file = resolve(path)
    if (this.#current?.summary.path === file) return this.#current.summary
    let opened
    try {
      opened = openProject(file, this.#integrity)
    } catch (error) {
      if (error instanceof AppError && error.code === 'CORRUPT_PROJECT') throw this.#corrupt(file, error)
      throw error
    }
    const summary = this.#adopt(file, opened.db, opened.readOnly)
    const backups = this.#backupsOf(file)
    if (backups && opened.migratedFrom !== null) {
      // A consistent copy at the new schema, made while the user waits for the project to open.
      this.#pendingBackup = backups.create(opened.db, 'migration', this.#now(), true).catch(this.#onBackupError)
    }
    return summary
  }

  /** Settles once the backup that opening a project may have started (after a migration) is written. */
  async backupsSettled(): Promise<void> {
    await this.#pendingBackup
  }

  /** Makes the regular backup of the open project if one is due (README: Backups). */
  async backupIfDue(): Promise<BackupInfo | null> {
    return (await this.#current?.schedule?.runIfDue()) ?? null
  }

  /** A project's backups, newest first (none are kept without a data folder). */
  backups(path: string): BackupInfo[] {
    return this.#backupsOf(resolve(path))?.list() ?? []
  }

  /** Puts a backup in the project's place (closing it first when it is the open one). */
  async restore(path: string, id?: string): Promise<BackupRestoreResult> {
    const file = resolve(path)
    const backups = this.#backupsOf(file)
    if (!backups) throw new AppError('UNSUPPORTED', 'this Pictor keeps no backups (it has no data folder)')
    const backup = backups.find(id)
    if (this.#current?.summary.path === file) this.close()
    const keptAside = await restoreBackup(file, backup, this.#now())
    return { path: file, restored: backup, keptAside }
  }

  close(): void {
    if (!this.#current) return
    const { db, schedule } = this.#current
    this.#current = null
    schedule?.stop()
    // What this session wrote is not remembered as healthy: damage done by another program while
    // the project was open would be blessed with it. The next open checks the file again.
    closeProjectDatabase(db)
  }

  #backupsOf(path: string): ProjectBackups | null {
    return this.#backupsRoot ? new ProjectBackups(this.#backupsRoot, path) : null
  }

  /** The damage report, with what to do about it: which backups there are and how to restore one. */
  #corrupt(path: string, error: AppError): AppError {
    const backups = this.backups(path)
    const advice = backups.length
      ? `Pictor keeps backups of it: ${backups.map((backup) => `${backup.id} (${backup.reason === 'migration' ? 'after an upgrade' : 'regular'})`).join(', ')}. ` +
        `Restore one with the Restore button or \`pictor backups restore --project "${path}"\`; the damaged file is kept aside.`
      : 'Pictor has no backup of it: restore a copy of your own (the damaged file is left as it is).'
    return new AppError('CORRUPT_PROJECT', `${error.message}. ${advice}`, { cause: error })
  }

  #adopt(path: string, db: Database, readOnly: boolean): ProjectSummary {
    const row = getProject(db)
    if (!row) {
      db.close()
      throw new AppError('NOT_A_PROJECT', `${path} has no project record; it may be damaged`)
    }
    this.close()
    const summary = { path, name: row.name, createdAt: row.createdAt, schemaVersion: schemaVersion(db), readOnly }
    // Training runs left 'running' by a process that is gone become 'interrupted' (see run-leases.ts).
    if (!readOnly) tryMarkInterruptedRuns(db)
    // A read-only project cannot change, so it needs no regular backups.
    const backups = readOnly ? null : this.#backupsOf(path)
    const schedule = backups ? new BackupSchedule(backups, db, this.#now) : null
    schedule?.start(this.#onBackupError)
    this.#current = { db, summary, schedule }
    return summary
  }
}

export function withProjectExtension(path: string): string {
  return extname(path).toLowerCase() === PROJECT_EXTENSION ? path : `${path}${PROJECT_EXTENSION}`
}
