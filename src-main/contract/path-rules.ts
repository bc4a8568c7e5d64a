// The path rules of the contract as plain functions (no zod), so the renderer can use them too: it
// places a bare project name in the default folder and shows the full path (contract/paths.ts has
// the schemas built on them).

/** System folders whose "files" are devices, processes and kernel settings, never a user's data. */
export const SYSTEM_FOLDERS = ['/dev', '/proc', '/sys'] as const

/** Most file systems allow 255 bytes per name; longer ones fail as ENAMETOOLONG deep inside. */
export const MAX_NAME_BYTES = 255

/** C:\ or C:/ (a drive) or \\server\share (UNC; \\?\ and \\.\ reach devices and are refused). */
const WINDOWS_ABSOLUTE = /^(?:[a-z]:[\\/]|\\\\(?![?.][\\/])[^\\/]+[\\/][^\\/]+)/i

export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || WINDOWS_ABSOLUTE.test(path)
}

/** The path with `.` and `..` folded, lexically (POSIX paths only; others are returned as they are). */
function folded(path: string): string {
  if (!path.startsWith('/')) return path
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return `/${parts.join('/')}`
}

/** The system folder a path lies in (after folding `..`), or null. */
export function systemFolderOf(path: string): string | null {
  const plain = folded(path)
  return SYSTEM_FOLDERS.find((folder) => plain === folder || plain.startsWith(`${folder}/`)) ?? null
}

export function longestNameBytes(path: string): number {
  const encoder = new TextEncoder()
  return Math.max(0, ...path.split(/[\\/]/).map((name) => encoder.encode(name).length))
}

/**
 * Where a project typed into a form goes: an absolute path as it is, anything else (a bare name, a
 * relative path) inside `folder`; `.pictor` is added when missing. Mirrors the services'
 * withProjectExtension, so the form shows the path the project will have.
 */
export function projectPathIn(folder: string, typed: string): string {
  const trimmed = typed.trim()
  if (trimmed === '') return ''
  const separator = /^[a-z]:\\|^\\\\/i.test(folder) ? '\\' : '/'
  const full = isAbsolutePath(trimmed) ? trimmed : `${folder.replace(/[\\/]+$/, '')}${separator}${trimmed}`
  return /\.pictor$/i.test(full) ? full : `${full}.pictor`
}
