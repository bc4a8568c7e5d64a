import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

const CONTENT_HASH = /^[0-9a-f]{64}$/

/**
 * Thumbnails on disk, one WebP per distinct content hash, shared by all projects (the same bytes
 * always give the same thumbnail). Paths are built from a validated hash only, so no caller can make
 * this read or write outside its folder.
 */
export class ThumbnailStore {
  /** Shard folders known to exist, so 50k writes do not mean 50k mkdir calls. */
  readonly #folders = new Set<string>()

  constructor(readonly dir: string) {}

  static isContentHash(value: string): boolean {
    return CONTENT_HASH.test(value)
  }

  pathFor(contentHash: string): string | null {
    if (!ThumbnailStore.isContentHash(contentHash)) return null
    return join(this.dir, contentHash.slice(0, 2), `${contentHash}.webp`)
  }

  has(contentHash: string): boolean {
    const path = this.pathFor(contentHash)
    return path !== null && existsSync(path)
  }

  /**
   * Write-then-rename (a reader never sees half a file), without fsync: a thumbnail is a cache, made
   * again from the image's file when it is asked for and missing (services/thumbnail-rebuild.ts).
   */
  async write(contentHash: string, webp: Uint8Array): Promise<void> {
    const path = this.pathFor(contentHash)
    if (!path) throw new Error(`not a content hash: ${contentHash}`)
    const folder = dirname(path)
    if (!this.#folders.has(folder)) {
      await mkdir(folder, { recursive: true })
      this.#folders.add(folder)
    }
    try {
      await this.#writeInto(path, webp)
    } catch (error) {
      // The cache was cleared while Pictor ran: the folder remembered is gone, so make it again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      await mkdir(folder, { recursive: true })
      await this.#writeInto(path, webp)
    }
  }

  async #writeInto(path: string, webp: Uint8Array): Promise<void> {
    const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await writeFile(temporary, webp)
      await rename(temporary, path)
    } catch (error) {
      await rm(temporary, { force: true })
      throw error
    }
  }
}
