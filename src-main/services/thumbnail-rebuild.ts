import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { lstat, open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { DecodeSlots } from '../core/decode-slots'
import { imageFilesWithContentHash } from '../db/queries/images'
import { analyseImage } from '../import/image-analysis'
import type { ThumbnailStore } from '../import/thumbnail-store'
import type { ProjectSession } from './project-session'

// Thumbnails live in the data folder, the project elsewhere: a project opened on another computer,
// by another user, after the cache was cleared or with another PICTOR_DATA_DIR finds none (issue
// 14: every tile broken, for good). A thumbnail the page asks for and the cache lacks is made again
// from the image's own file, exactly as the import made it, a few at a time.

export interface RebuildLimits {
  /** Decodes at once (each reads a whole file, as the import does). */
  decodes: number
  /** Requests waiting for a decode; beyond them the page is told to come back (503). */
  waiting: number
  /** Larger files are not read for a thumbnail (the import's own limit). */
  maxFileBytes: number
}

/** A screenful of the Label grid (about 60 tiles, plus overscan) queues without a refusal. */
export const DEFAULT_REBUILD_LIMITS: RebuildLimits = { decodes: 2, waiting: 400, maxFileBytes: 512 * 2 ** 20 }

/** 'written': the thumbnail is in the store now; 'none': no file of the open project has this content. */
export type RebuildResult = 'written' | 'none' | 'busy'

export type ThumbnailRebuilder = (session: ProjectSession, store: ThumbnailStore, contentHash: string) => Promise<RebuildResult>

export function createThumbnailRebuilder(limits: RebuildLimits = DEFAULT_REBUILD_LIMITS): ThumbnailRebuilder {
  const slots = new DecodeSlots(limits.decodes, limits.waiting)
  // The grid and the library may ask for the same tile at once: one decode answers both.
  const inFlight = new Map<string, Promise<RebuildResult>>()
  return (session, store, contentHash) => {
    const key = `${store.dir}\0${contentHash}`
    const running = inFlight.get(key)
    if (running) return running
    const result = rebuild(session, store, contentHash, slots, limits).finally(() => inFlight.delete(key))
    inFlight.set(key, result)
    return result
  }
}

async function rebuild(session: ProjectSession, store: ThumbnailStore, contentHash: string, slots: DecodeSlots, limits: RebuildLimits): Promise<RebuildResult> {
  const target = store.pathFor(contentHash)
  // Only hashes of the open project's images: the route cannot be made to decode anything else.
  if (!target || !session.summary) return 'none'
  const files = imageFilesWithContentHash(session.db, contentHash)
  if (files.length === 0) return 'none'
  // A shard folder that is a link (planted to lead writes elsewhere) is never written through.
  const shard = await lstat(dirname(target)).catch(() => null)
  if (shard && !shard.isDirectory()) return 'none'
  const release = await slots.take()
  if (!release) return 'busy'
  try {
    for (const file of files) {
      const buffer = await readWholeFile(join(file.root, file.relPath), limits.maxFileBytes)
      // A file changed since the import would give another image's thumbnail under this name.
      if (!buffer || createHash('sha256').update(buffer).digest('hex') !== contentHash) continue
      const analysis = await analyseImage(buffer).catch(() => null)
      if (!analysis) continue
      await store.write(contentHash, analysis.thumbnail)
      return 'written'
    }
    return 'none'
  } catch {
    // The data folder cannot be written (read-only, full): the page shows its placeholder.
    return 'none'
  } finally {
    release()
  }
}

/** A regular file's bytes (a pipe in the image's place must not block a thread), or null. */
async function readWholeFile(path: string, maxBytes: number): Promise<Buffer | null> {
  const file = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch(() => null)
  if (!file) return null
  try {
    const info = await file.stat()
    if (!info.isFile() || info.size === 0 || info.size > maxBytes) return null
    return await file.readFile()
  } catch {
    return null
  } finally {
    await file.close()
  }
}
