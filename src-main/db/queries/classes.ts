import type { Database } from 'better-sqlite3'
import type { ClassCount } from '../../contract/types'

/** Live classes in display order with how many usable images carry each label. */
export function listClassesWithCounts(db: Database): ClassCount[] {
  return db
    .prepare(
      `SELECT c.id, c.name, c.color, c.hotkey, c.position, count(i.id) AS count
       FROM classes c
       LEFT JOIN labels l ON l.class_id = c.id
       LEFT JOIN images i ON i.id = l.image_id AND i.status = 'ok'
       WHERE c.deleted_at IS NULL
       GROUP BY c.id
       ORDER BY c.position, c.id`
    )
    .all() as ClassCount[]
}

export interface ClassRow {
  id: number
  name: string
  color: string
  hotkey: string | null
  position: number
  deletedAt: number | null
}

export function getClass(db: Database, id: number): ClassRow | undefined {
  return db
    .prepare('SELECT id, name, color, hotkey, position, deleted_at AS deletedAt FROM classes WHERE id = ?')
    .get(id) as ClassRow | undefined
}

export function findLiveClassByName(db: Database, name: string): ClassRow | undefined {
  return db
    .prepare('SELECT id, name, color, hotkey, position, deleted_at AS deletedAt FROM classes WHERE name = ? AND deleted_at IS NULL')
    .get(name) as ClassRow | undefined
}

export function findLiveClassByHotkey(db: Database, hotkey: string): ClassRow | undefined {
  return db
    .prepare('SELECT id, name, color, hotkey, position, deleted_at AS deletedAt FROM classes WHERE hotkey = ? AND deleted_at IS NULL')
    .get(hotkey) as ClassRow | undefined
}

export function updateClass(db: Database, id: number, changes: { name?: string; color?: string; hotkey?: string | null }): void {
  if (changes.name !== undefined) db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(changes.name, id)
  if (changes.color !== undefined) db.prepare('UPDATE classes SET color = ? WHERE id = ?').run(changes.color, id)
  if (changes.hotkey !== undefined) db.prepare('UPDATE classes SET hotkey = ? WHERE id = ?').run(changes.hotkey, id)
}

/** Soft delete: history keeps pointing at the row; its hotkey is freed for other classes. */
export function setClassDeleted(db: Database, id: number, deletedAt: number | null): void {
  if (deletedAt === null) {
    db.prepare('UPDATE classes SET deleted_at = NULL WHERE id = ?').run(id)
  } else {
    db.prepare('UPDATE classes SET deleted_at = ?, hotkey = NULL WHERE id = ?').run(deletedAt, id)
  }
}

/**
 * Colours for new classes, in order: twenty that stay apart from each other on the dark background
 * (issue 14: with ten, and two blues among them, 'bluebell' and 'tigerlily' were both blue). Chosen
 * greedily in CIELAB, each the farthest from those before it among colours of moderate lightness and
 * chroma, so any first n are as distinct as n can be: the first 12 are at least ΔE 32 apart, all 20 at
 * least 26 (the old ten: 21, then repeats).
 */
export const CLASS_PALETTE = [
  '#5b9cff', '#bbaa11', '#ff5577', '#00ddbb', '#ff88ee', '#ffbb99', '#88dd66', '#66ccee', '#dd7722', '#779966',
  '#bb7799', '#ddbbff', '#aa8844', '#9977ee', '#cccc77', '#22aa66', '#779922', '#ffbb55', '#dd7766', '#00aaaa'
]

/** The first palette colour no live class wears (a deleted class gives its colour back); past twenty, round again. */
function nextColor(liveColors: readonly string[]): string {
  const worn = new Set(liveColors)
  return CLASS_PALETTE.find((color) => !worn.has(color)) ?? CLASS_PALETTE[liveColors.length % CLASS_PALETTE.length]!
}

const LIVE_COLORS = 'SELECT color FROM classes WHERE deleted_at IS NULL'

/** Hotkeys handed out to new classes in order: 1–9, then letters ('z' stays free for undo habits). */
export const HOTKEY_ORDER = [...'123456789', ...'abcdefghijklmnopqrstuvwxy']

/**
 * Adds a live class after the others and returns its id. A left-out colour is the palette's next; a
 * left-out hotkey (undefined) is the first free one of HOTKEY_ORDER; null means none.
 */
export function insertClass(db: Database, name: string, options: { color?: string; hotkey?: string | null } = {}, now = Date.now()): number {
  const lastPosition = db.prepare('SELECT coalesce(max(position), -1) FROM classes').pluck().get() as number
  let hotkey = options.hotkey
  if (hotkey === undefined) {
    const taken = new Set(db.prepare('SELECT hotkey FROM classes WHERE hotkey IS NOT NULL AND deleted_at IS NULL').pluck().all() as string[])
    hotkey = HOTKEY_ORDER.find((key) => !taken.has(key)) ?? null
  }
  const color = options.color ?? nextColor(db.prepare(LIVE_COLORS).pluck().all() as string[])
  return db
    .prepare('INSERT INTO classes (name, color, hotkey, position, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id')
    .pluck()
    .get(name, color, hotkey, lastPosition + 1, now) as number
}

/** Prepared once per import: the id of a class by name, creating it with a colour and hotkey if new. */
export function classStatements(db: Database) {
  const find = db.prepare('SELECT id FROM classes WHERE name = ? AND deleted_at IS NULL').pluck()
  const usedHotkeys = db.prepare('SELECT hotkey FROM classes WHERE hotkey IS NOT NULL AND deleted_at IS NULL').pluck()
  const lastPosition = db.prepare('SELECT coalesce(max(position), -1) FROM classes').pluck()
  const liveColors = db.prepare(LIVE_COLORS).pluck()
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
        const taken = new Set(usedHotkeys.all() as string[])
        const hotkey = HOTKEY_ORDER.find((key) => !taken.has(key)) ?? null
        const position = (lastPosition.get() as number) + 1
        id = insert.get(name, nextColor(liveColors.all() as string[]), hotkey, position, now) as number
      }
      cache.set(name, id)
      return id
    }
  }
}

/**
 * The class a name means in a run recorded before class ids were (schema < v6): the live class of
 * that name, else the most recently deleted one (a deleted class keeps its id for history).
 */
export function classIdForRecordedName(db: Database, name: string): number | undefined {
  return db
    .prepare('SELECT id FROM classes WHERE name = ? ORDER BY deleted_at IS NOT NULL, deleted_at DESC, id DESC LIMIT 1')
    .pluck()
    .get(name) as number | undefined
}
