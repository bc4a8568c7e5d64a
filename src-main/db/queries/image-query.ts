import type { Database } from 'better-sqlite3'
import type { ImageDetail, ImageQuery } from '../../contract/types'
import { foldForSearch } from '../text-fold'
import { VISIBLE_SUGGESTION } from './suggestions'

/** Sort keys, most significant first; every key is reversed for a descending sort. */
const SORTS: Record<ImageQuery['sort'], string[]> = {
  imported: ['i.id'],
  name: ['i.rel_path COLLATE NOCASE', 'i.id'],
  class: ['c.position IS NULL', 'c.position', 'i.id'],
  size: ['coalesce(i.width * i.height, 0)', 'i.id'],
  // Least confident suggestion first, then the images without one.
  uncertainty: ['sg.confidence IS NULL', 'sg.confidence', 'i.id']
}

/**
 * The ids of every image in a filter, in display order. The grid holds this list (400 KB at 100k
 * images) and fetches details only for the rows on screen, so scrolling and relabeling never
 * page through OFFSETs.
 */
export function queryImageIds(db: Database, query: ImageQuery): number[] {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  if (query.status !== 'all') {
    where.push('i.status = @status')
    params.status = query.status
  }
  if (query.label === 'labeled') where.push('l.class_id IS NOT NULL')
  else if (query.label === 'unlabeled') where.push('l.class_id IS NULL')
  else if (typeof query.label === 'number') {
    where.push('l.class_id = @classId')
    params.classId = query.label
  }
  if (query.split === 'none') where.push('i.split IS NULL')
  else if (query.split) {
    where.push('i.split = @split')
    params.split = query.split
  }
  if (query.duplicates) {
    where.push(
      `i.content_hash IN (SELECT content_hash FROM images WHERE content_hash IS NOT NULL AND status = 'ok'
                          GROUP BY content_hash HAVING count(*) > 1)`
    )
  }
  if (query.search) {
    // SQLite's LIKE folds ASCII letters only; other scripts go through the Unicode-aware function.
    const ascii = /^\p{ASCII}*$/u.test(query.search)
    where.push(`${ascii ? 'i.rel_path' : 'pictor_fold(i.rel_path)'} LIKE @search ESCAPE '\\'`)
    const needle = ascii ? query.search : foldForSearch(query.search)
    params.search = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  }
  if (query.suggested !== undefined) where.push(`sg.image_id IS ${query.suggested ? 'NOT ' : ''}NULL`)
  const order = SORTS[query.sort].map((key) => `${key}${query.descending ? ' DESC' : ''}`).join(', ')
  // Suggestions are joined only when asked for, so every other filter stays as fast as before.
  const withSuggestions = query.suggested !== undefined || query.sort === 'uncertainty'
  return db
    .prepare(
      `SELECT i.id FROM images i
       LEFT JOIN labels l ON l.image_id = i.id
       LEFT JOIN classes c ON c.id = l.class_id
       ${withSuggestions ? `LEFT JOIN suggestions sg ON sg.image_id = i.id AND ${VISIBLE_SUGGESTION}` : ''}
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ${order}`
    )
    .pluck()
    .all(params) as number[]
}

type DetailRow = Omit<ImageDetail, 'suggestion'> & {
  suggestionClassId: number | null
  suggestionConfidence: number | null
  suggestionRunId: number | null
}

/**
 * Everything a grid cell or the detail view shows, for the given ids, in the given order. The
 * suggestion comes along, so the grid never fetches anything per cell.
 */
export function imageDetails(db: Database, ids: readonly number[]): ImageDetail[] {
  const select = db.prepare(
    `SELECT i.id, i.rel_path AS relPath, s.root_path AS rootPath, i.status, i.content_hash AS contentHash,
            l.class_id AS classId, l.origin AS labelOrigin, i.folder_class AS folderClass,
            i.split, i.split_origin AS splitOrigin, i.width, i.height, i.format, i.bytes, i.mtime_ms AS mtimeMs,
            i.error_code AS errorCode, i.error_message AS errorMessage, i.phash,
            sg.class_id AS suggestionClassId, sg.confidence AS suggestionConfidence, sg.run_id AS suggestionRunId
     FROM images i JOIN sources s ON s.id = i.source_id LEFT JOIN labels l ON l.image_id = i.id
     LEFT JOIN suggestions sg ON sg.image_id = i.id AND ${VISIBLE_SUGGESTION}
     WHERE i.id = ?`
  )
  const details: ImageDetail[] = []
  for (const id of ids) {
    const row = select.get(id) as DetailRow | undefined
    if (!row) continue
    const { suggestionClassId, suggestionConfidence, suggestionRunId, ...detail } = row
    details.push({
      ...detail,
      suggestion:
        suggestionClassId === null
          ? null
          : { classId: suggestionClassId, confidence: suggestionConfidence!, runId: suggestionRunId! }
    })
  }
  return details
}
