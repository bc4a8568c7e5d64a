// Opening a project from outside the app: a `.pictor` file double-clicked in a file manager, dropped
// on the Dock icon, or named on the command line. Windows and Linux start the app (or, when it is
// already running, a second instance that hands its arguments to the first) with the file's path
// among the arguments; macOS sends an `open-file` event instead, possibly before the app is ready.
import { isAbsolute, resolve } from 'node:path'

export const PROJECT_EXTENSION = '.pictor'

/**
 * The project file among a process's arguments (the last one that names a `.pictor` file and is not
 * a switch), made absolute against the directory the arguments were given in; null when none does.
 */
export function projectPathFromArgs(args: readonly string[], workingDirectory: string): string | null {
  const named = args.filter((arg) => !arg.startsWith('-') && arg.toLowerCase().endsWith(PROJECT_EXTENSION)).at(-1)
  if (!named) return null
  return isAbsolute(named) ? named : resolve(workingDirectory, named)
}

/**
 * Holds the paths asked for before the app can open them (macOS sends `open-file` before `ready`),
 * then opens each as it comes once `attach` has given it a way to.
 */
export class OpenRequests {
  private queued: string[] = []
  private opener: ((path: string) => void) | null = null

  request(path: string | null): void {
    if (!path) return
    if (this.opener) this.opener(path)
    else this.queued.push(path)
  }

  attach(opener: (path: string) => void): void {
    this.opener = opener
    const queued = this.queued
    this.queued = []
    for (const path of queued) opener(path)
  }
}
