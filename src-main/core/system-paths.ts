import { realpathSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join } from 'node:path'
import { systemFolderOf } from '../contract/path-rules'

// The half of the contract's path rules that needs the file system (the lexical half lives in
// contract/paths.ts): a symbolic link can lead from an ordinary folder into /dev or /proc, and a
// device or a pipe can sit anywhere. Reading one hangs or reads forever; writing one does harm.

/** The real path of the deepest part of `path` that exists, with the rest appended as written. */
function realPathSoFar(path: string): string {
  const rest: string[] = []
  let current = path
  for (;;) {
    try {
      return join(realpathSync(current), ...rest.reverse())
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const parent = dirname(current)
      // Only a missing part is walked past; anything else (a loop, no permission) is for the
      // handler to meet and report in its own words.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) return path
      rest.push(basename(current))
      current = parent
    }
  }
}

/** Why `path` may not be used as a user's file or folder, or null when it may. */
export function systemPathProblem(path: string): string | null {
  // The contract's lexical rule takes both Windows and POSIX forms (the renderer cannot know where
  // the services run); here, on the computer itself, C:\x on Linux is a relative name like any other.
  if (!isAbsolute(path)) return `${path} is not an absolute path on this computer`
  const real = realPathSoFar(path)
  const folder = systemFolderOf(real)
  if (folder !== null) return `${path} leads into ${folder}, which holds devices and system settings, not files`
  let kind: string | null = null
  try {
    const stat = statSync(path)
    if (stat.isCharacterDevice() || stat.isBlockDevice()) kind = 'a device'
    else if (stat.isFIFO()) kind = 'a pipe'
    else if (stat.isSocket()) kind = 'a socket'
  } catch {
    // Missing, or a link to nowhere: the handler says so (NOT_FOUND) in its own words.
    return null
  }
  return kind === null ? null : `${path} is ${kind}, not a file or folder`
}
