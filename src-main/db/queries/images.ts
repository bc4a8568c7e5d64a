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
