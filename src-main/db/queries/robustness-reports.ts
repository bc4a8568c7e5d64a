import type { Database } from 'better-sqlite3'
import type { ImageSplit, RobustnessPoint, RobustnessReport } from '../../contract/types'

/** Stores (or replaces) a run's robustness report. */
export function saveRobustnessReport(db: Database, report: RobustnessReport): void {
  db.prepare(
    `INSERT INTO robustness_reports (run_id, split, count, points, computed_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET split = excluded.split, count = excluded.count, points = excluded.points,
       computed_at = excluded.computed_at`
  ).run(report.runId, report.split, report.count, JSON.stringify(report.points), report.computedAt)
}

export function getRobustnessReport(db: Database, runId: number): RobustnessReport | null {
  const row = db
    .prepare('SELECT run_id AS runId, split, count, points, computed_at AS computedAt FROM robustness_reports WHERE run_id = ?')
    .get(runId) as { runId: number; split: ImageSplit; count: number; points: string; computedAt: number } | undefined
  if (!row) return null
  return { runId: row.runId, computedAt: row.computedAt, split: row.split, count: row.count, points: JSON.parse(row.points) as RobustnessPoint[] }
}
