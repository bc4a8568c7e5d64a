import type { Database } from 'better-sqlite3'

export interface ProjectRow {
  name: string
  createdAt: number
}

export function insertProject(db: Database, row: ProjectRow): void {
  db.prepare('INSERT INTO project (id, name, created_at) VALUES (1, ?, ?)').run(row.name, row.createdAt)
}

export function getProject(db: Database): ProjectRow | undefined {
  return db.prepare('SELECT name, created_at AS createdAt FROM project WHERE id = 1').get() as ProjectRow | undefined
}
