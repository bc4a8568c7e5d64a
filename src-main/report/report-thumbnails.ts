// Thumbnails inside the report as data: URIs, so the file stands alone (mailed, archived, printed).
// The stored WebP thumbnail when the data folder has it; else one made from the image file with sharp.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import sharp from 'sharp'
import { imageFileLocation } from '../db/queries/images'
import { ThumbnailStore } from '../import/thumbnail-store'

/** Long side of a thumbnail made here; the stored ones are about this size too. */
const SIZE = 128

/** A data: URI of the image's thumbnail, or null when neither the thumbnail nor the file can be read. */
export async function thumbnailUri(
  db: Database,
  image: { imageId: number; contentHash: string | null },
  thumbnailsDir: string | null
): Promise<string | null> {
  const stored = thumbnailsDir && image.contentHash ? new ThumbnailStore(thumbnailsDir).pathFor(image.contentHash) : null
  if (stored) {
    try {
      return toUri(await readFile(stored))
    } catch {
      // Missing or unreadable: a cache, so make one from the file instead.
    }
  }
  const location = imageFileLocation(db, image.imageId)
  if (!location) return null
  try {
    const webp = await sharp(join(location.root, location.relPath))
      .rotate()
      .resize(SIZE, SIZE, { fit: 'inside', withoutEnlargement: false })
      .flatten({ background: '#ffffff' })
      .webp({ quality: 70 })
      .toBuffer()
    return toUri(webp)
  } catch {
    return null
  }
}

function toUri(webp: Buffer): string {
  return `data:image/webp;base64,${webp.toString('base64')}`
}
