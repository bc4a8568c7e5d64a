import type { Database } from 'better-sqlite3'

export type ImportRunStatus = 'running' | 'done' | 'failed' | 'cancelled'

export interface ImportRunRow {
  id: number
  rootPath: string
  status: ImportRunStatus
  startedAt: number
  finishedAt: number | null
  report: string | null
}

export function startImportRun(db: Database, sourceId: number, now = Date.now()): number {
  return Number(
    db.prepare("INSERT INTO import_runs (source_id, status, started_at) VALUES (?, 'running', ?)").run(sourceId, now)
      .lastInsertRowid
  )
}

export function finishImportRun(
  db: Database,
  runId: number,
  status: Exclude<ImportRunStatus, 'running'>,
  report: unknown,
  now = Date.now()
): void {
  db.prepare('UPDATE import_runs SET status = ?, finished_at = ?, report = ? WHERE id = ?').run(
    status,
    now,
    JSON.stringify(report),
    runId
  )
}

export function importRunStatus(db: Database, runId: number): ImportRunStatus | undefined {
  return db.prepare('SELECT status FROM import_runs WHERE id = ?').pluck().get(runId) as ImportRunStatus | undefined
}

export function latestImportRun(db: Database): ImportRunRow | undefined {
  return db
    .prepare(
      `SELECT r.id, s.root_path AS rootPath, r.status, r.started_at AS startedAt,
              r.finished_at AS finishedAt, r.report
       FROM import_runs r JOIN sources s ON s.id = r.source_id
       ORDER BY r.id DESC LIMIT 1`
    )
    .get() as ImportRunRow | undefined
}
