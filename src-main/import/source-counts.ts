import type { Database } from 'better-sqlite3'
import type { ImportReport } from './import-report'

/** Usable images of one source per folder class and per split, for the import report. */
export function countSourceImages(db: Database, sourceId: number): Pick<ImportReport, 'classes' | 'splits'> {
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
    .all(sourceId) as { split: keyof typeof splits; n: number }[]
  for (const row of bySplit) splits[row.split] = row.n
  return { classes, splits }
}
