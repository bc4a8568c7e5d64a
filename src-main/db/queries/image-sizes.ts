import type { Database } from 'better-sqlite3'

// Image ids go in as one JSON array through json_each: no limit on bound parameters, one statement.
// The importer records every decodable image's width and height; a row without them (never expected
// for an 'ok' image) says nothing about size and is left out.
const SHORT_SIDES = `SELECT min(width, height) AS side FROM images
  WHERE id IN (SELECT value FROM json_each(?)) AND width IS NOT NULL AND height IS NOT NULL
  ORDER BY side`

/**
 * The median of min(width, height) over these images, in pixels (the mean of the middle two for an
 * even count); null when none of them has a recorded size. What 'auto' input size is chosen from.
 */
export function medianShortSide(db: Database, imageIds: readonly number[]): number | null {
  if (imageIds.length === 0) return null
  const sides = db.prepare(SHORT_SIDES).pluck().all(JSON.stringify([...new Set(imageIds)])) as number[]
  if (sides.length === 0) return null
  const middle = sides.length >> 1
  return sides.length % 2 === 1 ? sides[middle]! : (sides[middle - 1]! + sides[middle]!) / 2
}
