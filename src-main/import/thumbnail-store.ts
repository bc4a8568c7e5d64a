import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../core/atomic-write'

const CONTENT_HASH = /^[0-9a-f]{64}$/

/**
 * Thumbnails on disk, one WebP per distinct content hash, shared by all projects (the same bytes
 * always give the same thumbnail). Paths are built from a validated hash only, so no caller can make
 * this read or write outside its folder.
 */
export class ThumbnailStore {
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

  async write(contentHash: string, webp: Buffer): Promise<void> {
    const path = this.pathFor(contentHash)
    if (!path) throw new Error(`not a content hash: ${contentHash}`)
    await writeFileAtomic(path, webp)
  }
}
