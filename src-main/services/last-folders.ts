import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../core/atomic-write'

/** More purposes than Pictor has; a damaged or hand-edited file cannot grow without bound. */
const MAX_PURPOSES = 32

/**
 * The folder last chosen for each purpose (import, export, project, weights …), kept in the data
 * folder as JSON, so every file picker — the native dialogs and browser mode's folder browser —
 * opens where the user was last time, across restarts and whatever port the page was served on.
 */
export class LastFolders {
  readonly #file: string
  #updates: Promise<unknown> = Promise.resolve()

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'last-folders.json')
  }

  async get(purpose: string): Promise<string | null> {
    const stored = await this.#read()
    // Own keys only: a purpose named like an Object method ('constructor') must read as unknown.
    return Object.hasOwn(stored, purpose) ? stored[purpose]! : null
  }

  remember(purpose: string, folder: string): Promise<void> {
    const next = this.#updates.then(async () => {
      const stored = await this.#read()
      delete stored[purpose]
      // The newest purpose last, so the oldest ones go first when the file is full.
      const entries = [...Object.entries(stored), [purpose, folder] as const].slice(-MAX_PURPOSES)
      await writeFileAtomic(this.#file, JSON.stringify(Object.fromEntries(entries), null, 2))
    })
    this.#updates = next.catch(() => {})
    return next
  }

  async #read(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.#file, 'utf8'))
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {}
      return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
    } catch {
      return {}
    }
  }
}
