// Which files of an export folder (`<dir>/onnx`, `<dir>/tfjs`) are Pictor's to replace, and moving a
// staged export into one without touching anything else.
//
// Pictor writes a manifest (pictor-manifest.json) into each format folder: the name and SHA-256 of every
// file it wrote there. On a re-export it replaces a file only when the manifest lists it and its bytes
// still hash to what Pictor wrote. Everything else in the folder is the user's and stays as it is:
// their notes, a demo page, a subfolder. A file Pictor would write that the user has edited (or that
// Pictor never wrote, in a folder without a manifest) makes the export refuse, before anything is
// written, naming the file. Keeping the user's edit and writing the rest instead would leave a folder
// whose README or metadata describes a different model than the one beside it, which is worse than
// a clear "move this file away or choose another folder".
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../core/errors'

export const MANIFEST_FILE = 'pictor-manifest.json'

export interface ExportManifest {
  exportedBy: 'pictor'
  manifestVersion: 1
  /**
   * File name (inside the format folder) → SHA-256 of the bytes Pictor wrote; a list while an export
   * is being moved in (either the old or the new bytes are Pictor's, see InstallJournal).
   */
  files: Record<string, string | string[]>
}

/** What installing a staged export into `target` will do. */
export interface FolderPlan {
  /** The target does not exist yet: the staged folder is renamed into place whole. */
  fresh: boolean
  /** Pictor's own earlier files to take out: replaced by the new export, or no longer part of it. */
  ownFiles: string[]
  /** Entries of the user's that stay where they are (top-level names). */
  kept: string[]
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** The manifest of the files Pictor just wrote into `folder`. */
export async function manifestFor(folder: string, files: readonly string[]): Promise<string> {
  const manifest: ExportManifest = { exportedBy: 'pictor', manifestVersion: 1, files: {} }
  for (const file of files) manifest.files[file] = await sha256File(join(folder, file))
  return `${JSON.stringify(manifest, null, 2)}\n`
}

/** The folder's manifest, or null when there is none or it is not one Pictor wrote. */
async function readManifest(folder: string): Promise<ExportManifest | null> {
  try {
    const parsed = JSON.parse(await readFile(join(folder, MANIFEST_FILE), 'utf8')) as Partial<ExportManifest>
    const files = parsed.files
    if (parsed.exportedBy !== 'pictor' || parsed.manifestVersion !== 1 || typeof files !== 'object' || files === null) return null
    const valid = ([name, hash]: [string, unknown]) => isPlainName(name) && (typeof hash === 'string' || (Array.isArray(hash) && hash.every((h) => typeof h === 'string')))
    if (!Object.entries(files).every(valid)) return null
    return parsed as ExportManifest
  } catch {
    return null
  }
}

const hashesOf = (entry: string | string[]): string[] => (typeof entry === 'string' ? [entry] : entry)

/** A manifest names files directly inside its folder; anything else (../x, a/b) is not one Pictor wrote. */
const isPlainName = (name: string) => name !== '' && name !== '.' && name !== '..' && !/[/\\]/.test(name)

/**
 * Decides which entries of `target` the new export (`newFiles`, the manifest among them) may replace,
 * or refuses (ALREADY_EXISTS) naming every file that is in the way. Reads only; changes nothing.
 */
export async function planFolder(target: string, newFiles: readonly string[]): Promise<FolderPlan> {
  let entries: string[]
  try {
    if (!(await lstat(target)).isDirectory()) throw new AppError('ALREADY_EXISTS', `${target} exists and is not a folder; choose another destination`)
    entries = await readdir(target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { fresh: true, ownFiles: [], kept: [] }
    throw error
  }
  const manifest = await readManifest(target)
  const own = new Set<string>()
  if (manifest) {
    own.add(MANIFEST_FILE)
    for (const [name, hash] of Object.entries(manifest.files)) if (await isUnchanged(join(target, name), hashesOf(hash))) own.add(name)
  }
  const present = new Set(entries)
  const blocked = newFiles.filter((name) => present.has(name) && !own.has(name))
  if (blocked.length > 0) {
    throw new AppError(
      'ALREADY_EXISTS',
      `${target} already holds ${blocked.join(', ')}, not as Pictor wrote ${blocked.length === 1 ? 'it' : 'them'} ` +
        `(changed since, or not from a Pictor export); Pictor never overwrites your files: move ${blocked.length === 1 ? 'it' : 'them'} away or choose another folder`
    )
  }
  const ownFiles = entries.filter((name) => own.has(name)).sort()
  return { fresh: false, ownFiles, kept: entries.filter((name) => !own.has(name)).sort() }
}

/** A regular file (never a link or a folder) whose bytes still hash to what Pictor wrote. */
async function isUnchanged(path: string, hashes: readonly string[]): Promise<boolean> {
  try {
    return (await lstat(path)).isFile() && hashes.includes(await sha256File(path))
  } catch {
    return false
  }
}

/**
 * Moves staged exports into place and remembers every step, so a failure can put each file back where
 * it was: a failed export leaves every folder as it was. Each step is one rename inside `dir` (one file
 * system, so each is atomic).
 *
 * A crash (kill -9, power loss) cannot run the rollback, so a merge is ordered for that too: first a
 * transitional manifest that accepts both the old and the new bytes of every file replaces the old
 * manifest, then the files move, then the final manifest replaces the transitional one in one rename.
 * Wherever a crash falls, every file of Pictor's in the folder is one its manifest vouches for, so the
 * next export replaces it, and the user's files were never moved at all. Pictor's previous files wait
 * in a `.pictor-export-*.previous` folder beside the export until the new ones stand.
 */
export class InstallJournal {
  readonly #undo: (() => Promise<void>)[] = []
  readonly #backups: string[] = []

  async #move(from: string, to: string): Promise<void> {
    await rename(from, to)
    this.#undo.push(() => rename(to, from))
  }

  /** Moves the staged export (new files, the final manifest among them) into `target` following `plan`. */
  async install(staging: string, target: string, newFiles: readonly string[], plan: FolderPlan, backup: string): Promise<void> {
    if (plan.fresh) return this.#move(staging, target)
    await mkdir(backup)
    this.#backups.push(backup)
    const manifest = join(target, MANIFEST_FILE)
    const transitional = await transitionalManifest(target, plan.ownFiles, staging)
    // Two copies: one goes in now, the other puts it back if the final manifest has to be taken out again.
    await writeFile(join(backup, TRANSITIONAL), transitional)
    await writeFile(join(backup, TRANSITIONAL_UNDO), transitional)
    if (plan.ownFiles.includes(MANIFEST_FILE)) await this.#move(manifest, join(backup, MANIFEST_FILE))
    await this.#move(join(backup, TRANSITIONAL), manifest)
    for (const name of plan.ownFiles) if (name !== MANIFEST_FILE) await this.#move(join(target, name), join(backup, name))
    for (const name of newFiles) if (name !== MANIFEST_FILE) await this.#move(join(staging, name), join(target, name))
    await rename(join(staging, MANIFEST_FILE), manifest)
    this.#undo.push(() => rename(join(backup, TRANSITIONAL_UNDO), manifest))
  }

  /** Undoes every step, newest first. */
  async rollBack(): Promise<void> {
    let complete = true
    for (const undo of this.#undo.reverse()) {
      await undo().catch(() => {
        complete = false
      })
    }
    this.#undo.length = 0
    // After a complete rollback the backups hold only the transitional manifests; one that still
    // holds Pictor's previous files (a rename back failed) is left for the user to recover.
    if (complete) await this.#removeBackups()
  }

  /** After success: Pictor's previous files go. */
  async commit(): Promise<void> {
    this.#undo.length = 0
    await this.#removeBackups()
  }

  async #removeBackups(): Promise<void> {
    for (const backup of this.#backups) await rm(backup, { recursive: true, force: true })
    this.#backups.length = 0
  }
}

const TRANSITIONAL = 'transitional-manifest.json'
const TRANSITIONAL_UNDO = 'transitional-manifest.undo.json'

/** The old manifest's entries for Pictor's files still there, and the new one's: a file with either bytes is Pictor's. */
async function transitionalManifest(target: string, ownFiles: readonly string[], staging: string): Promise<string> {
  const old = (await readManifest(target))?.files ?? {}
  const next = (await readManifest(staging))?.files ?? {}
  const files: Record<string, string[]> = {}
  for (const name of ownFiles) if (old[name] !== undefined) files[name] = hashesOf(old[name])
  for (const [name, hash] of Object.entries(next)) files[name] = [...new Set([...(files[name] ?? []), ...hashesOf(hash)])]
  return `${JSON.stringify({ exportedBy: 'pictor', manifestVersion: 1, files }, null, 2)}\n`
}
