import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { imageFileLocation } from '../db/queries/images'
import { DEFAULT_LIMITS } from '../import/image-analysis'
import { sniff } from '../import/image-kinds'
import { DecodeSlots } from '../core/decode-slots'
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

/** One decode pool shared by the detail view's previews and the Predict view's thumbnails. */
export interface PreviewPool {
  /** A project image's large preview, found by id. */
  image: PreviewRenderer
  /**
   * A small WebP of a file, `size` px on its longer side: for images outside the project (a folder
   * being predicted), which have no thumbnail. The caller decides which files may be read.
   */
  file(path: string, size: number): Promise<PreviewResult>
}

/**
 * Large, oriented WebPs for the detail view, under a memory budget: at most `decodes` run at once
 * and at most `waiting` more queue for them (issue 13: twelve unbounded decodes of one huge image
 * took the server from 248 MB to 741 MB). The file is found through the project database by image
 * id, never from a path the client sends, so this cannot read arbitrary files.
 */
export function createPreviewRenderer(limits: PreviewLimits = DEFAULT_PREVIEW_LIMITS): PreviewRenderer {
  return createPreviewPool(limits).image
}

/** Previews of project images and of predicted files, under one bound (`limits`). */
export function createPreviewPool(limits: PreviewLimits = DEFAULT_PREVIEW_LIMITS): PreviewPool {
  const slots = new DecodeSlots(limits.decodes, limits.waiting)
  const bounded = async (path: string, size: number): Promise<PreviewResult> => {
    const release = await slots.take()
    if (!release) return { kind: 'busy', retryAfterSeconds: 1 }
    try {
      const body = await renderFile(path, limits, size)
      return body ? { kind: 'webp', body } : { kind: 'none' }
    } finally {
      release()
    }
  }
  return {
    image: async (session, imageId) => {
      if (!session.summary) return { kind: 'none' }
      const row = imageFileLocation(session.db, imageId)
      if (!row) return { kind: 'none' }
      return bounded(join(row.root, row.relPath), PREVIEW_SIZE)
    },
    file: (path, size) => bounded(path, size)
  }
}

async function renderFile(path: string, limits: PreviewLimits, size: number): Promise<Buffer | null> {
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
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
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
