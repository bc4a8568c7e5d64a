import type { Database } from 'better-sqlite3'

export interface ImageCounts {
  total: number
  labeled: number
  failed: number
}

/** Counts in one pass; `total` excludes failed and missing files, which are not trainable. */
export function countImages(db: Database): ImageCounts {
  return db
    .prepare(
      `SELECT
         count(*) FILTER (WHERE i.status = 'ok')                        AS total,
         count(l.image_id) FILTER (WHERE i.status = 'ok')               AS labeled,
         count(*) FILTER (WHERE i.status = 'failed')                    AS failed
       FROM images i LEFT JOIN labels l ON l.image_id = i.id`
    )
    .get() as ImageCounts
}

export type ImageStatus = 'ok' | 'failed' | 'missing'
export type Split = 'train' | 'val' | 'test'

/** Each listed image's status; ids with no image row are absent. */
export function imageStatuses(db: Database, imageIds: readonly number[]): Map<number, ImageStatus> {
  const select = db.prepare('SELECT status FROM images WHERE id = ?').pluck()
  const statuses = new Map<number, ImageStatus>()
  for (const imageId of imageIds) {
    const status = select.get(imageId) as ImageStatus | undefined
    if (status !== undefined) statuses.set(imageId, status)
  }
  return statuses
}

export interface IndexedImage {
  id: number
  bytes: number
  mtimeMs: number
  status: ImageStatus
  contentHash: string | null
}

/** What an import already knows about one source: rel_path → size, mtime and status. */
export function loadSourceIndex(db: Database, sourceId: number): Map<string, IndexedImage> {
  const rows = db
    .prepare(
      'SELECT id, rel_path AS relPath, bytes, mtime_ms AS mtimeMs, status, content_hash AS contentHash FROM images WHERE source_id = ?'
    )
    .all(sourceId) as (IndexedImage & { relPath: string })[]
  return new Map(rows.map(({ relPath, ...rest }) => [relPath, rest]))
}

export function loadContentHashes(db: Database): Set<string> {
  const rows = db.prepare("SELECT content_hash AS hash FROM images WHERE content_hash IS NOT NULL AND status = 'ok'").pluck().all()
  return new Set(rows as string[])
}

export interface ImageRecord {
  sourceId: number
  relPath: string
  status: Exclude<ImageStatus, 'missing'>
  errorCode: string | null
  errorMessage: string | null
  bytes: number
  mtimeMs: number
  contentHash: string | null
  phash: string | null
  width: number | null
  height: number | null
  format: string | null
  folderClass: string | null
  split: Split | null
  importedAt: number
}

/**
 * Prepared once per import: insert-or-update by (source, path). A changed file keeps its id, so
 * its label and history stay attached; a split decided by the user is never overwritten by a rescan.
 */
export function imageWriteStatements(db: Database) {
  const upsert = db.prepare(
    `INSERT INTO images (source_id, rel_path, status, error_code, error_message, bytes, mtime_ms, content_hash,
                         phash, width, height, format, folder_class, split, split_origin, imported_at)
     VALUES (@sourceId, @relPath, @status, @errorCode, @errorMessage, @bytes, @mtimeMs, @contentHash,
             @phash, @width, @height, @format, @folderClass, @split,
             CASE WHEN @split IS NULL THEN NULL ELSE 'folder' END, @importedAt)
     ON CONFLICT (source_id, rel_path) DO UPDATE SET
       status = excluded.status, error_code = excluded.error_code, error_message = excluded.error_message,
       bytes = excluded.bytes, mtime_ms = excluded.mtime_ms, content_hash = excluded.content_hash,
       phash = excluded.phash, width = excluded.width, height = excluded.height, format = excluded.format,
       folder_class = excluded.folder_class,
       split = CASE WHEN images.split_origin = 'user' THEN images.split ELSE excluded.split END,
       split_origin = CASE WHEN images.split_origin = 'user' THEN 'user' ELSE excluded.split_origin END
     RETURNING id`
  )
  const markMissing = db.prepare("UPDATE images SET status = 'missing' WHERE id = ?")
  return {
    upsert: (record: ImageRecord): number => (upsert.get(record) as { id: number }).id,
    markMissing: (id: number): void => void markMissing.run(id)
  }
}

/** Where one usable image's file is: its source folder and its path inside it. */
export function imageFileLocation(db: Database, imageId: number): { root: string; relPath: string } | undefined {
  return db
    .prepare(
      `SELECT s.root_path AS root, i.rel_path AS relPath FROM images i JOIN sources s ON s.id = i.source_id
       WHERE i.id = ? AND i.status = 'ok'`
    )
    .get(imageId) as { root: string; relPath: string } | undefined
}

/** The files of the usable images with this content (a thumbnail is rebuilt from any of them). */
export function imageFilesWithContentHash(db: Database, contentHash: string, limit = 8): { root: string; relPath: string }[] {
  return db
    .prepare(
      `SELECT s.root_path AS root, i.rel_path AS relPath FROM images i JOIN sources s ON s.id = i.source_id
       WHERE i.content_hash = ? AND i.status = 'ok' ORDER BY i.id LIMIT ?`
    )
    .all(contentHash, limit) as { root: string; relPath: string }[]
}

export interface SourceImageCounts {
  /** Usable images per folder class name. */
  classes: Record<string, number>
  /** Usable images per split. */
  splits: Record<Split, number>
}

/** Usable images of one source per folder class and per split, for the import report. */
export function sourceImageCounts(db: Database, sourceId: number): SourceImageCounts {
  const classes: Record<string, number> = {}
  const byClass = db
    .prepare(
      `SELECT folder_class AS name, count(*) AS n FROM images
       WHERE source_id = ? AND status = 'ok' AND folder_class IS NOT NULL
       GROUP BY folder_class ORDER BY folder_class`
    )
    .all(sourceId) as { name: string; n: number }[]
  for (const row of byClass) classes[row.name] = row.n
  const splits = { train: 0, val: 0, test: 0 }
  const bySplit = db
    .prepare(
      `SELECT split, count(*) AS n FROM images WHERE source_id = ? AND status = 'ok' AND split IS NOT NULL GROUP BY split`
    )
    .all(sourceId) as { split: Split; n: number }[]
  for (const row of bySplit) splits[row.split] = row.n
  return { classes, splits }
}

export interface ImagePageQuery {
  offset: number
  limit: number
  status?: ImageStatus
}

/** One page of images in import order, with what a grid cell shows. */
export function pageImages(db: Database, query: ImagePageQuery) {
  const where = query.status ? 'WHERE i.status = @status' : ''
  const total = db.prepare(`SELECT count(*) FROM images i ${where}`).pluck().get(query) as number
  const items = db
    .prepare(
      `SELECT i.id, i.rel_path AS relPath, i.status, i.content_hash AS contentHash, c.name AS className,
              i.split, i.error_code AS errorCode, i.error_message AS errorMessage
       FROM images i LEFT JOIN labels l ON l.image_id = i.id LEFT JOIN classes c ON c.id = l.class_id
       ${where} ORDER BY i.id LIMIT @limit OFFSET @offset`
    )
    .all(query) as import('../../contract/types').ImageSummary[]
  return { total, items }
}
