import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { RecentProject } from '../contract/types'
import { writeFileAtomic } from '../core/atomic-write'

const MAX_RECENT = 12

interface StoredRecent {
  path: string
  name: string
  openedAt: number
}

/** The most recently opened projects, newest first, kept in the data folder as JSON. */
export class RecentProjects {
  readonly #file: string
  /** Read-modify-write updates run one after another, or overlapping calls would drop entries. */
  #updates: Promise<unknown> = Promise.resolve()

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'recent-projects.json')
  }

  async list(): Promise<RecentProject[]> {
    const stored = await this.#read()
    return stored.map((entry) => ({ ...entry, exists: existsSync(entry.path) }))
  }

  remember(entry: { path: string; name: string }, now = Date.now()): Promise<void> {
    const path = resolve(entry.path)
    return this.#update((stored) =>
      [{ path, name: entry.name, openedAt: now }, ...stored.filter((item) => item.path !== path)].slice(0, MAX_RECENT)
    )
  }

  forget(path: string): Promise<void> {
    const target = resolve(path)
    return this.#update((stored) => stored.filter((item) => item.path !== target))
  }

  #update(change: (stored: StoredRecent[]) => StoredRecent[]): Promise<void> {
    const next = this.#updates.then(async () => this.#write(change(await this.#read())))
    this.#updates = next.catch(() => {})
    return next
  }

  async #read(): Promise<StoredRecent[]> {
    let text: string
    try {
      text = await readFile(this.#file, 'utf8')
    } catch {
      return []
    }
    try {
      const parsed: unknown = JSON.parse(text)
      if (!Array.isArray(parsed)) return []
      // A hand-edited or damaged file loses its bad entries, never the app's start-up.
      return parsed.filter(
        (item): item is StoredRecent =>
          typeof item?.path === 'string' && typeof item?.name === 'string' && typeof item?.openedAt === 'number'
      )
    } catch {
      return []
    }
  }

  #write(entries: StoredRecent[]): Promise<void> {
    return writeFileAtomic(this.#file, JSON.stringify(entries, null, 2))
  }
}
