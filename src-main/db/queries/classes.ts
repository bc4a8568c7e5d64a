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

/** Distinct, readable colours for new classes, in order. */
const PALETTE = ['#5b9cff', '#f2994a', '#27ae60', '#eb5757', '#9b51e0', '#f2c94c', '#2d9cdb', '#e0529c', '#56ccf2', '#6fcf97']
/** Hotkeys handed out to new classes in order: 1–9, then letters. */
const HOTKEYS = [...'123456789', ...'abcdefghijklmnopqrstuvwxy']

/** Prepared once per import: the id of a class by name, creating it with a colour and hotkey if new. */
export function classStatements(db: Database) {
  const find = db.prepare('SELECT id FROM classes WHERE name = ?').pluck()
  const usedHotkeys = db.prepare('SELECT hotkey FROM classes WHERE hotkey IS NOT NULL').pluck()
  const count = db.prepare('SELECT count(*), coalesce(max(position), -1) FROM classes').raw()
  const insert = db.prepare(
    'INSERT INTO classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id'
  ).pluck()
  const cache = new Map<string, number>()
  return {
    ensure(name: string, now = Date.now()): number {
      const cached = cache.get(name)
      if (cached !== undefined) return cached
      let id = find.get(name) as number | undefined
      if (id === undefined) {
        const [total, lastPosition] = count.get() as [number, number]
        const taken = new Set(usedHotkeys.all() as string[])
        const hotkey = HOTKEYS.find((key) => !taken.has(key)) ?? null
        id = insert.get(name, PALETTE[total % PALETTE.length], hotkey, lastPosition + 1, now) as number
      }
      cache.set(name, id)
      return id
    }
  }
}
