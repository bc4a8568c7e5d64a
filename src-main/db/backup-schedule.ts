import { statSync } from 'node:fs'
import type { Database } from 'better-sqlite3'
import type { BackupInfo } from '../contract/types'
import type { ProjectBackups } from './backup'

/** At most one regular backup per this much time. */
export const BACKUP_INTERVAL_MS = 60 * 60_000
/** How often an open project is looked at to see whether a backup is due. */
export const BACKUP_CHECK_MS = 10 * 60_000
/**
 * The first look, soon after opening: a project opened for short sessions still gets its hourly
 * copy, while a one-shot command (`pictor info`) is done before it would start one.
 */
export const FIRST_CHECK_MS = 5_000

/** The last time the project's content changed on disk: the file, or a WAL with content beside it. */
function lastChange(path: string): number {
  const file = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0
  const wal = statSync(`${path}-wal`, { throwIfNoEntry: false })
  return Math.max(file, wal && wal.size > 0 ? wal.mtimeMs : 0)
}

/**
 * "At most once per hour of work": while a project is open, a backup is made when the newest one
 * is an hour old (or there is none) and the project has changed since it was made. A project left
 * open and untouched gets none; one worked on all day gets one an hour, and only the last few stay.
 */
export class BackupSchedule {
  #timers: ReturnType<typeof setTimeout>[] = []
  #running: Promise<BackupInfo | null> | null = null

  constructor(
    private readonly backups: ProjectBackups,
    private readonly db: Database,
    private readonly now: () => number
  ) {}

  isDue(): boolean {
    const newest = this.backups.list()[0]
    if (!newest) return true
    if (this.now() - newest.createdAt < BACKUP_INTERVAL_MS) return false
    // The backup file's own time, not `createdAt`: both sides of this comparison are file times.
    return lastChange(this.backups.projectPath) > statSync(newest.file).mtimeMs
  }

  /** Makes a backup if one is due; one at a time (a second call shares the first's). */
  runIfDue(): Promise<BackupInfo | null> {
    if (this.#running) return this.#running
    const run = (async () => (this.isDue() ? this.backups.create(this.db, 'periodic', this.now()) : null))().finally(() => {
      if (this.#running === run) this.#running = null
    })
    this.#running = run
    return run
  }

  /**
   * Checks soon, then every BACKUP_CHECK_MS. The timers never keep a process (a CLI command) alive,
   * and a backup cut short by stop() (the project was closed) is not an error worth reporting.
   */
  start(onError: (error: unknown) => void): void {
    this.stop()
    const check = () => {
      const timers = this.#timers
      this.runIfDue().catch((error) => timers === this.#timers && onError(error))
    }
    this.#timers = [setTimeout(check, FIRST_CHECK_MS), setInterval(check, BACKUP_CHECK_MS)]
    for (const timer of this.#timers) timer.unref()
  }

  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers = []
  }
}
