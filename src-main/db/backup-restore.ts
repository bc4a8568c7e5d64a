import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, openSync } from 'node:fs'
import { copyFile, link, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { BackupInfo } from '../contract/types'
import { AppError } from '../core/errors'
import { checkIntegrity } from './integrity'
import { connectReadOnly, isReadOnlyLocation } from './read-only'
import { SQLITE_BINDING_ENV } from './connection'

// Restoring never deletes anything of the user's and never leaves a half-written project: the
// backup is checked, copied next to the project under a temporary name, the current file is kept
// aside under a new name (with its -wal and -shm, which hold part of its content), and the copy is
// renamed into place, one atomic step. A crash at any point leaves either the old file or the
// restored one at the project's path, and the kept-aside file intact.

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Refuses a backup that is damaged itself, before anything is touched. */
function verify(backup: BackupInfo): void {
  let db
  try {
    db = connectReadOnly(backup.file, process.env[SQLITE_BINDING_ENV])
    checkIntegrity(db, backup.file)
  } catch (error) {
    if (error instanceof AppError && error.code !== 'CORRUPT_PROJECT') throw error
    throw new AppError('CORRUPT_PROJECT', `backup ${backup.id} is damaged too; choose another one (pictor backups list)`, { cause: error })
  } finally {
    db?.close()
  }
}

/** `flowers.pictor` → `flowers.replaced-2025-06-01T12-00-00-000Z.pictor`, unused. */
function asideName(path: string, now: number): string {
  const stem = basename(path).replace(/\.pictor$/i, '')
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-')
  for (let attempt = 1; ; attempt++) {
    const name = join(dirname(path), `${stem}.replaced-${stamp}${attempt > 1 ? `-${attempt}` : ''}.pictor`)
    if (![name, `${name}-wal`, `${name}-shm`].some((file) => existsSync(file))) return name
  }
}

/** Puts `backup` at `projectPath`; answers where the file it replaced was kept (null: there was none). */
export async function restoreBackup(projectPath: string, backup: BackupInfo, now = Date.now()): Promise<string | null> {
  verify(backup)
  if (isReadOnlyLocation(projectPath)) {
    throw new AppError('READ_ONLY', `${projectPath} is read-only: a backup cannot be put in its place`)
  }
  if (!existsSync(dirname(projectPath))) throw new AppError('NOT_FOUND', `the folder ${dirname(projectPath)} does not exist`)
  const incoming = join(dirname(projectPath), `.${basename(projectPath)}.restoring-${randomBytes(4).toString('hex')}`)
  try {
    await copyFile(backup.file, incoming)
    fsyncFile(incoming)
    let aside: string | null = null
    if (existsSync(projectPath)) {
      aside = asideName(projectPath, now)
      // A second name for the same file: the project's own path keeps working until the rename below.
      await link(projectPath, aside).catch(() => copyFile(projectPath, aside!))
      for (const suffix of ['-wal', '-shm']) {
        if (existsSync(`${projectPath}${suffix}`)) await rename(`${projectPath}${suffix}`, `${aside}${suffix}`)
      }
    }
    await rename(incoming, projectPath)
    return aside
  } catch (error) {
    await rm(incoming, { force: true })
    throw error
  }
}
