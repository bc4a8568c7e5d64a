import type { Database } from 'better-sqlite3'
import type { ClassCount } from '../../contract/types'

/** Classes in display order with how many usable images carry each label. */
export function listClassesWithCounts(db: Database): ClassCount[] {
  return db
    .prepare(
      `SELECT c.id, c.name, c.color, count(i.id) AS count
       FROM classes c
       LEFT JOIN labels l ON l.class_id = c.id
       LEFT JOIN images i ON i.id = l.image_id AND i.status = 'ok'
       GROUP BY c.id
       ORDER BY c.position, c.id`
    )
    .all() as ClassCount[]
}
