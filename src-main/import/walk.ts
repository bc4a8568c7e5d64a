import type { Dirent, Stats } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'
import { AppError, fromSystemError } from '../core/errors'
import { fileErrorFromSystem, FileError, type FileErrorCode } from './file-errors'
import { isIgnoredName, isImageCandidate } from './image-kinds'

export interface FoundFile {
  /** Relative to the import root, '/'-separated, exactly as the file system spells it. */
  relPath: string
  absPath: string
  bytes: number
  mtimeMs: number
}

export interface WalkProblem {
  relPath: string
  code: FileErrorCode
  message: string
}

export interface WalkResult {
  files: FoundFile[]
  problems: WalkProblem[]
  /** Regular files that are not image candidates (text, video, ...): counted, not reported. */
  skipped: number
}

export interface WalkOptions {
  /**
   * Follow symbolic links wherever they lead. Off by default: a link whose real path leaves the
   * chosen folder is reported (LINK_OUTSIDE) and not entered, so choosing a folder never imports
   * another tree the user did not pick (issue 13). Links that stay inside are followed either way.
   */
  followLinks?: boolean
}

const STAT_BATCH = 256

/**
 * Lists every image candidate below `root`, following symbolic links that stay inside it (or all of
 * them with `followLinks`) but never into a folder it has already entered (loops), and turning every
 * oddity — links out, dangling links, unreadable folders, FIFOs, undecodable names — into a recorded
 * problem instead of an exception.
 */
export async function walkFolder(root: string, signal?: AbortSignal, options: WalkOptions = {}): Promise<WalkResult> {
  const rootStats = await stat(root).catch((error) => {
    throw fromSystemError(error, `the folder ${root}`) ?? error
  })
  if (!rootStats.isDirectory()) throw new AppError('NOT_FOUND', `${root} is not a folder`)
  // Confinement compares real paths: the root may itself be reached through a link.
  const realRoot = options.followLinks ? null : await realpath(root).catch((error) => {
    throw fromSystemError(error, `the folder ${root}`) ?? error
  })

  const result: WalkResult = { files: [], problems: [], skipped: 0 }
  const entered = new Set<string>([folderKey(rootStats)])
  const pending: string[] = ['']
  const problem = (relPath: string, error: FileError) =>
    result.problems.push({ relPath, code: error.code, message: error.message })

  while (pending.length > 0) {
    signal?.throwIfAborted()
    const folder = pending.pop()!
    let entries: Dirent[]
    try {
      entries = await readdir(join(root, folder), { withFileTypes: true })
    } catch (error) {
      const cause = fileErrorFromSystem(error)
      problem(folder, new FileError(cause.code, `cannot read this folder: ${cause.message}`))
      continue
    }
    // Real folders before symbolic links, so a link to a class folder never takes the folder's place.
    const candidates = entries
      .filter((entry) => !isIgnoredName(entry.name))
      .sort((a, b) => Number(a.isSymbolicLink()) - Number(b.isSymbolicLink()))
    for (let start = 0; start < candidates.length; start += STAT_BATCH) {
      const batch = candidates.slice(start, start + STAT_BATCH)
      const stats = await Promise.all(
        batch.map((entry) => statEntry(join(root, folder, entry.name), entry.isSymbolicLink() ? realRoot : null))
      )
      batch.forEach((entry, index) => {
        const relPath = folder ? `${folder}/${entry.name}` : entry.name
        const found = stats[index]!
        // A name that is not valid Unicode here cannot even be stat'ed under the name we were given.
        if (entry.name.includes('\uFFFD')) {
          problem(relPath, new FileError('BAD_NAME', 'the file name is not valid Unicode on this system'))
          return
        }
        if (found instanceof FileError) {
          // A dangling link or loop whose name does not look like an image is noise, not a problem.
          if (isImageCandidate(entry.name) || entry.isSymbolicLink()) problem(relPath, relabelLinkError(entry, found))
          return
        }
        if (found.isDirectory()) {
          const key = folderKey(found)
          if (entered.has(key)) {
            problem(relPath, new FileError('SYMLINK_LOOP', 'this link leads back into a folder already imported'))
          } else {
            entered.add(key)
            pending.push(relPath)
          }
        } else if (!isImageCandidate(entry.name)) {
          if (found.isFile()) result.skipped++
        } else if (!found.isFile()) {
          problem(relPath, new FileError('NOT_A_FILE', 'not a regular file (a device, socket or pipe)'))
        } else {
          result.files.push({ relPath, absPath: join(root, relPath), bytes: found.size, mtimeMs: Math.trunc(found.mtimeMs) })
        }
      })
    }
  }
  result.files.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0))
  return result
}

/**
 * stat follows symbolic links: a dangling one answers ENOENT, a self-referencing one ELOOP. A link
 * checked against `confineTo` (a real path) whose real path lies elsewhere answers LINK_OUTSIDE.
 * Entries that are not links need no check: the walk only ever enters folders inside the root.
 */
async function statEntry(path: string, confineTo: string | null): Promise<Stats | FileError> {
  try {
    const stats = await stat(path)
    if (confineTo !== null) {
      const target = await realpath(path)
      if (!isInside(confineTo, target)) {
        return new FileError('LINK_OUTSIDE', `the symbolic link leads outside the imported folder (to ${target}); it was left out`)
      }
    }
    return stats
  } catch (error) {
    return fileErrorFromSystem(error)
  }
}

function isInside(root: string, path: string): boolean {
  const inside = relative(root, path)
  return inside === '' || (!isAbsolute(inside) && inside !== '..' && !inside.startsWith(`..${sep}`))
}

function relabelLinkError(entry: Dirent, error: FileError): FileError {
  if (entry.isSymbolicLink() && error.code === 'VANISHED') {
    return new FileError('DANGLING_LINK', 'the symbolic link points at nothing')
  }
  return error
}

function folderKey(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`
}
