// Names that work as folder and file names on every system a dataset may be copied to (Windows,
// macOS and Linux), decided from the data alone so that exporting the same project twice gives the
// same names.
import { createHash } from 'node:crypto'
import { extname } from 'node:path'

const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i

/** A class name as a folder name: characters Windows forbids become '_', no trailing dot or space, no device names. */
export function safeFolderName(name: string): string {
  // eslint-disable-next-line no-control-regex
  let safe = name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').replace(/[. ]+$/, '')
  if (safe === '' || safe === '.' || safe === '..') safe = '_'
  if (RESERVED.test(safe)) safe = `${safe}_`
  return safe
}

/**
 * Folder names for classes in output order. Two names that end up the same (also when they differ
 * only in case, which macOS and Windows do not tell apart) are kept apart with `~2`, `~3`…, the first
 * in output order keeping the plain name.
 */
export function classFolders(names: readonly string[]): string[] {
  const taken = new Set<string>()
  return names.map((name) => {
    const base = safeFolderName(name)
    let folder = base
    for (let n = 2; taken.has(folder.toLowerCase()); n++) folder = `${base}~${n}`
    taken.add(folder.toLowerCase())
    return folder
  })
}

/** The first 8 hex digits of the sha256 of `text`. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8)
}

/** `photo.jpg` → `photo~<hash>.jpg`, the hash taken from the image's full source path. */
export function collisionName(fileName: string, sourcePath: string): string {
  const ext = extname(fileName)
  const stem = ext === '' ? fileName : fileName.slice(0, -ext.length)
  return `${stem}~${shortHash(sourcePath)}${ext}`
}

/**
 * File names within one folder. A name more than one image would take (ignoring case) is given to
 * none of them: each gets `name~<hash>.ext` instead, so which image gets which name never depends on
 * the order they were imported in.
 */
export function fileNames(entries: readonly { fileName: string; sourcePath: string }[]): string[] {
  const uses = new Map<string, number>()
  for (const { fileName } of entries) uses.set(fileName.toLowerCase(), (uses.get(fileName.toLowerCase()) ?? 0) + 1)
  return entries.map(({ fileName, sourcePath }) => ((uses.get(fileName.toLowerCase()) ?? 0) > 1 ? collisionName(fileName, sourcePath) : fileName))
}
