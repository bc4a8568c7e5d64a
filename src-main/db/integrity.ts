import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Database } from 'better-sqlite3'
import { AppError } from '../core/errors'

// A damaged project must be refused when it is opened, not found out later by a failing import
// (issue 13: 4 KB of garbage in page 6 went unnoticed). SQLite's quick_check reads every page:
// ~0.1 s on a 100,000-image project (31 MB), but over a second once MobileNetV2 features are
// cached in it (870 MB; test/bench/open-check-bench.ts). So the check is skipped when the file is
// exactly as it was when it was last checked on this computer: same device and inode, size,
// modification and change time. The change time (ctime) cannot be set back by any program, so
// damage that kept the size and forged the modification time is still seen; a copy or a restore
// is a new inode. Any write changes the file, Pictor's own included: the open after a session that
// changed the project checks it again (a state Pictor wrote is not taken on trust, since another
// program may have damaged the file while it was open).

export interface FileStamp {
  dev: number
  ino: number
  size: number
  mtimeMs: number
  ctimeMs: number
}

/**
 * The project file's identity and last change, or null when it is not a whole file by itself: a
 * WAL with content beside it holds pages the file does not have yet (a crash, or another process
 * has the project open), so nothing can be concluded from the file alone.
 */
export function stampOf(path: string): FileStamp | null {
  try {
    if (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size) return null
    const { dev, ino, size, mtimeMs, ctimeMs } = statSync(path)
    return { dev, ino, size, mtimeMs, ctimeMs }
  } catch {
    return null
  }
}

const MAX_REMEMBERED = 200

/** Which projects were healthy when last checked, as their stamps, in one small file in the data folder. */
export class IntegrityMemory {
  constructor(readonly file: string) {}

  matches(path: string, stamp: FileStamp | null): boolean {
    if (!stamp) return false
    const known = this.#read()[path]
    return !!known && (Object.keys(stamp) as (keyof FileStamp)[]).every((key) => known[key] === stamp[key])
  }

  /** Records (or, with null, forgets) a project's healthy state. Best effort: losing it costs one check. */
  remember(path: string, stamp: FileStamp | null): void {
    const entries = Object.entries(this.#read()).filter(([known]) => known !== path)
    if (stamp) entries.push([path, stamp])
    const temporary = `${this.file}.${process.pid}.tmp`
    try {
      mkdirSync(dirname(this.file), { recursive: true })
      writeFileSync(temporary, JSON.stringify(Object.fromEntries(entries.slice(-MAX_REMEMBERED))))
      renameSync(temporary, this.file)
    } catch {
      // A read-only data folder only means the next open checks again.
    }
  }

  #read(): Record<string, FileStamp> {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'))
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, FileStamp>) : {}
    } catch {
      return {}
    }
  }
}

/** Runs SQLite's quick_check; a damaged file is refused with CORRUPT_PROJECT and what SQLite found. */
export function checkIntegrity(db: Database, path: string): void {
  let findings: string[]
  try {
    findings = (db.pragma('quick_check(3)') as { quick_check: string }[]).map((row) => row.quick_check)
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    if (!code.startsWith('SQLITE_CORRUPT') && code !== 'SQLITE_NOTADB') throw error
    findings = [(error as Error).message]
  }
  if (findings.length === 1 && findings[0] === 'ok') return
  // One line: SQLite's findings without its "*** in database main ***" headings.
  const found = findings
    .flatMap((finding) => finding.split('\n'))
    .filter((line) => line.trim() && !line.startsWith('***'))
    .join('; ')
  throw new AppError('CORRUPT_PROJECT', `${path} is damaged (SQLite found: ${found})`)
}
