import { realpath } from 'node:fs/promises'
import { isAbsolute, relative, sep } from 'node:path'
import type { PredictedFiles } from '../export/predict-store'
import type { PreviewPool } from '../services/preview'

// Thumbnails of the files a prediction read (the Predict view's table): images outside the project
// have no cached thumbnail, so a small one is decoded on request, through the same bounded pool as
// the detail view's previews. Decoding on request, not in the job, costs nothing for the rows nobody
// scrolls to, and never slows predicting. The page names a row by its prediction's job id and its
// index, never by path: the file is the one the job read, and it is served only while its real path
// (links followed) still lies below the folder that was predicted.

export const PREDICTED_PREFIX = '/predicted/'
/** Twice the table's 56 px thumbnails, for high-density screens. */
export const PREDICTED_THUMBNAIL_SIZE = 128

export type PredictedAnswer = { kind: 'webp'; body: Buffer } | { kind: 'missing' } | { kind: 'busy'; retryAfterSeconds: number }

/** `/predicted/<job id>/<row>.webp` → the job and row, or null. */
export function predictedRowFor(pathname: string): { jobId: string; index: number } | null {
  const match = /^\/predicted\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/(0|[1-9]\d{0,8})\.webp$/.exec(pathname)
  return match ? { jobId: match[1]!, index: Number(match[2]) } : null
}

export async function predictedThumbnail(pathname: string, files: PredictedFiles | undefined, previews: PreviewPool): Promise<PredictedAnswer> {
  const row = predictedRowFor(pathname)
  const found = row && files ? files.fileFor(row.jobId, row.index) : null
  const path = found ? await confined(found.folder, found.path) : null
  if (!path) return { kind: 'missing' }
  const result = await previews.file(path, PREDICTED_THUMBNAIL_SIZE)
  if (result.kind === 'busy') return result
  return result.kind === 'webp' ? result : { kind: 'missing' }
}

/** The real path of `path` when it lies below `folder`'s real path, else null (gone, or led out by a link). */
export async function confined(folder: string, path: string): Promise<string | null> {
  const [realFolder, realFile] = await Promise.all([realpath(folder).catch(() => null), realpath(path).catch(() => null)])
  if (!realFolder || !realFile) return null
  const inside = relative(realFolder, realFile)
  if (inside === '' || isAbsolute(inside) || inside === '..' || inside.startsWith(`..${sep}`)) return null
  return realFile
}
