import type { Database } from 'better-sqlite3'

export interface SourceRow {
  id: number
  rootPath: string
}

/** The source row for an import root, created on first import. */
export function ensureSource(db: Database, rootPath: string, now = Date.now()): SourceRow {
  db.prepare('INSERT INTO sources (root_path, added_at) VALUES (?, ?) ON CONFLICT (root_path) DO NOTHING').run(rootPath, now)
  return db.prepare('SELECT id, root_path AS rootPath FROM sources WHERE root_path = ?').get(rootPath) as SourceRow
}

export function markSourceScanned(db: Database, sourceId: number, now = Date.now()): void {
  db.prepare('UPDATE sources SET last_scan_at = ? WHERE id = ?').run(now, sourceId)
}
