import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { imageFileLocation } from '../db/queries/images'
import type { ProjectSession } from './project-session'

export const PREVIEW_SIZE = 2048

/**
 * A large, oriented WebP of one image for the detail view. The file is found through the project
 * database by image id, never from a path the client sends, so this cannot read arbitrary files.
 */
export async function renderPreview(session: ProjectSession, imageId: number): Promise<Buffer | null> {
  if (!session.summary) return null
  const row = imageFileLocation(session.db, imageId)
  if (!row) return null
  try {
    const bytes = await readFile(join(row.root, row.relPath))
    return await sharp(bytes, { failOn: 'error', animated: false })
      .rotate()
      .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .webp({ quality: 85 })
      .toBuffer()
  } catch {
    return null
  }
}
