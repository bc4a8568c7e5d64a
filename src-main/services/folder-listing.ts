import type { Dirent } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, delimiter, dirname, extname, join, sep } from 'node:path'
import type { FolderEntry, FolderListing, FolderPlace } from '../contract/types'
import { AppError, fromSystemError } from '../core/errors'

// Browser mode's folder browser lists folders on the computer Pictor runs on, for a page that may
// be reached through an SSH tunnel: it shows only the user's own places (home, the projects folder,
// mounted volumes), never the whole file system, and a symbolic link counts by where it leads, so
// no link inside home can open a way out. The contract's path rules (no /dev, /proc, /sys) apply
// before this is reached.

/** Where removable and network volumes are mounted on Linux and macOS. */
const VOLUME_FOLDERS = ['/media', '/mnt', '/run/media', '/Volumes']
/** One listing shows at most this many entries: a folder of 100k photos is not browsed file by file. */
export const MAX_ENTRIES = 2000

export interface BrowseRoots {
  home: string
  /** Where new projects go (~/Pictor), shown as a place when it exists. */
  projectsFolder: string
  /** Extra roots ($PICTOR_BROWSE_ROOTS, separated like PATH), e.g. a data disk mounted at /data. */
  extra: readonly string[]
}

export function browseRoots(projectsFolder: string, env: NodeJS.ProcessEnv = process.env): BrowseRoots {
  const extra = (env.PICTOR_BROWSE_ROOTS ?? '').split(delimiter).filter((path) => path.startsWith('/') || /^[a-z]:\\/i.test(path))
  return { home: homedir(), projectsFolder, extra }
}

export interface ListOptions {
  showHidden: boolean
  /** Lower-case, without the dot. Files are listed only when this is given. */
  extensions?: readonly string[]
}

/** The real paths browsing may enter, the ones that exist. */
async function realRoots(roots: BrowseRoots): Promise<string[]> {
  const candidates = [roots.home, roots.projectsFolder, ...VOLUME_FOLDERS, ...roots.extra]
  const real = await Promise.all(candidates.map((path) => realpath(path).catch(() => null)))
  return [...new Set(real.filter((path): path is string => path !== null))]
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)
}

/** The real path of `path` when browsing may show it, else null (outside every root, or missing). */
export async function confinedRealPath(path: string, roots: BrowseRoots): Promise<string | null> {
  const real = await realpath(path).catch(() => null)
  if (real === null) return null
  return (await realRoots(roots)).some((root) => isInside(real, root)) ? real : null
}

/** Lists one folder (or, given a file, the folder holding it). */
export async function listFolder(path: string, roots: BrowseRoots, options: ListOptions): Promise<FolderListing> {
  const allowed = await realRoots(roots)
  let real = await realpath(path).catch((error: unknown) => {
    throw fromSystemError(error, path) ?? new AppError('IO_ERROR', `${path} cannot be read`)
  })
  if (!allowed.some((root) => isInside(real, root))) throw outside(path)
  const info = await stat(real).catch((error: unknown) => {
    throw fromSystemError(error, path) ?? new AppError('IO_ERROR', `${path} cannot be read`)
  })
  if (!info.isDirectory()) real = dirname(real)
  const dirents = await readdir(real, { withFileTypes: true }).catch((error: unknown) => {
    throw fromSystemError(error, real) ?? new AppError('IO_ERROR', `${real} cannot be listed`)
  })
  const extensions = options.extensions ? new Set(options.extensions.map((ext) => ext.toLowerCase())) : null
  let hidden = 0
  const entries: FolderEntry[] = []
  for (const dirent of dirents) {
    if (dirent.name.startsWith('.') && !options.showHidden) {
      hidden++
      continue
    }
    const entry = await entryFor(real, dirent, allowed, extensions)
    if (entry) entries.push(entry)
  }
  entries.sort(byKindThenName)
  const parent = dirname(real)
  // Up goes as far as browsing may: from ~/Pictor to home, from home nowhere.
  const atTop = parent === real || !allowed.some((root) => isInside(parent, root))
  return {
    path: real,
    parent: atTop ? null : parent,
    places: await places(roots, allowed),
    entries: entries.slice(0, MAX_ENTRIES),
    hidden,
    truncated: entries.length > MAX_ENTRIES
  }
}

/** A directory entry as the browser shows it, or null when it is left out. */
async function entryFor(folder: string, dirent: Dirent, allowed: string[], extensions: Set<string> | null): Promise<FolderEntry | null> {
  const path = join(folder, dirent.name)
  let isFolder = dirent.isDirectory()
  let isFile = dirent.isFile()
  if (dirent.isSymbolicLink()) {
    // A link is shown only when it leads somewhere browsing may go anyway.
    const target = await realpath(path).catch(() => null)
    if (target === null || !allowed.some((root) => isInside(target, root))) return null
    const info = await stat(target).catch(() => null)
    isFolder = info?.isDirectory() ?? false
    isFile = info?.isFile() ?? false
  }
  if (isFolder) return { name: dirent.name, path, kind: 'folder', bytes: null }
  // Pipes, sockets and devices are never offered.
  if (!isFile || !extensions || !extensions.has(extname(dirent.name).slice(1).toLowerCase())) return null
  const bytes = await stat(path).then((info) => info.size, () => null)
  return { name: dirent.name, path, kind: 'file', bytes }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

function byKindThenName(a: FolderEntry, b: FolderEntry): number {
  if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1
  return collator.compare(a.name, b.name)
}

/** Home, the projects folder, and each mounted volume (the folders inside /media, /mnt …). */
async function places(roots: BrowseRoots, allowed: string[]): Promise<FolderPlace[]> {
  const found: FolderPlace[] = []
  const add = async (name: string, path: string) => {
    const real = await realpath(path).catch(() => null)
    if (real === null || !allowed.some((root) => isInside(real, root))) return
    if (!found.some((place) => place.path === real)) found.push({ name, path: real })
  }
  await add('Home', roots.home)
  await add('Pictor projects', roots.projectsFolder)
  for (const folder of VOLUME_FOLDERS.filter((path) => allowed.includes(path))) {
    const children = await readdir(folder, { withFileTypes: true }).catch(() => [])
    const volumes = children.filter((child) => (child.isDirectory() || child.isSymbolicLink()) && !child.name.startsWith('.'))
    for (const volume of volumes.slice(0, 20)) await add(volume.name, join(folder, volume.name))
  }
  for (const folder of roots.extra) await add(basename(folder) || folder, folder)
  return found
}

function outside(path: string): AppError {
  return new AppError(
    'INVALID_REQUEST',
    `${path} is outside the folders Pictor browses (your home folder and mounted volumes); type the path instead`
  )
}
