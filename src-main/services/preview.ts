import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { imageFileLocation } from '../db/queries/images'
import { DEFAULT_LIMITS } from '../import/image-analysis'
import { sniff } from '../import/image-kinds'
import type { ProjectSession } from './project-session'

export const PREVIEW_SIZE = 2048

export interface PreviewLimits {
  /** Decodes at once. One decode of a 196-megapixel PNG holds about 90 MB of libvips buffers. */
  decodes: number
  /** Requests that wait for a decode; beyond them a request is refused as busy (503). */
  waiting: number
  /** Images with more pixels are refused from their header, never decoded (the import's own limit). */
  maxPixels: number
  /** A decode still running after this is stopped, so one odd file cannot hold a slot forever. */
  timeoutSeconds: number
}

export const DEFAULT_PREVIEW_LIMITS: PreviewLimits = {
  decodes: 2,
  waiting: 8,
  maxPixels: DEFAULT_LIMITS.maxPixels,
  timeoutSeconds: 30
}

export type PreviewResult =
  | { kind: 'webp'; body: Buffer }
  /** No such usable image, its file is gone or unreadable, or it is over the pixel limit. */
  | { kind: 'none' }
  /** Every decode slot and queue place is taken: ask again in `retryAfterSeconds`. */
  | { kind: 'busy'; retryAfterSeconds: number }

export type PreviewRenderer = (session: ProjectSession, imageId: number) => Promise<PreviewResult>

/**
 * Large, oriented WebPs for the detail view, under a memory budget: at most `decodes` run at once
 * and at most `waiting` more queue for them (issue 13: twelve unbounded decodes of one huge image
 * took the server from 248 MB to 741 MB). The file is found through the project database by image
 * id, never from a path the client sends, so this cannot read arbitrary files.
 */
export function createPreviewRenderer(limits: PreviewLimits = DEFAULT_PREVIEW_LIMITS): PreviewRenderer {
  const slots = new DecodeSlots(limits.decodes, limits.waiting)
  return async (session, imageId) => {
    if (!session.summary) return { kind: 'none' }
    const row = imageFileLocation(session.db, imageId)
    if (!row) return { kind: 'none' }
    const release = await slots.take()
    if (!release) return { kind: 'busy', retryAfterSeconds: 1 }
    try {
      const body = await renderFile(join(row.root, row.relPath), limits)
      return body ? { kind: 'webp', body } : { kind: 'none' }
    } finally {
      release()
    }
  }
}

async function renderFile(path: string, limits: PreviewLimits): Promise<Buffer | null> {
  try {
    // A regular file only: opening a pipe put in the image's place would block a thread for good.
    if (!(await stat(path)).isFile()) return null
    const head = await readHead(path)
    // SVG is decoded from memory (as the importer does), so it has no base folder to pull local
    // files from. Everything else is streamed from the file by libvips: a 200 MB PNG is never held
    // whole, and JPEG and WebP shrink on load.
    const input = sniff(head) === 'svg' ? await readSmall(path) : path
    if (!input) return null
    return await sharp(input, { failOn: 'error', animated: false, limitInputPixels: limits.maxPixels, sequentialRead: true })
      .rotate()
      .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .webp({ quality: 85 })
      .timeout({ seconds: limits.timeoutSeconds })
      .toBuffer()
  } catch {
    return null
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r')
  try {
    const head = new Uint8Array(512)
    const { bytesRead } = await file.read(head, 0, head.length, 0)
    return head.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
}

const MAX_SVG_BYTES = 32 * 2 ** 20

async function readSmall(path: string): Promise<Buffer | null> {
  const file = await open(path, 'r')
  try {
    if ((await file.stat()).size > MAX_SVG_BYTES) return null
    return await file.readFile()
  } finally {
    await file.close()
  }
}

/** A counting semaphore with a bounded queue: `take` answers a release function, or null when full. */
class DecodeSlots {
  #running = 0
  readonly #queue: (() => void)[] = []

  constructor(
    readonly size: number,
    readonly waiting: number
  ) {}

  async take(): Promise<(() => void) | null> {
    if (this.#running >= this.size) {
      if (this.#queue.length >= this.waiting) return null
      await new Promise<void>((resolve) => this.#queue.push(resolve))
    } else {
      this.#running++
    }
    let released = false
    return () => {
      if (released) return
      released = true
      // The slot passes straight to the next waiter, so the count never dips and nobody jumps the queue.
      const next = this.#queue.shift()
      if (next) next()
      else this.#running--
    }
  }
}
