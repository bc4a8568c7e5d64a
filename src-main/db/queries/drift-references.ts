// A run's drift reference (schema v12), stored as JSON; src-main/serve/drift reads and checks it.
import type { Database } from 'better-sqlite3'

export interface StoredDriftReference {
  /** Parsed JSON, unchecked: the reader validates it. */
  reference: unknown
  images: number
  createdAt: number
}

export function loadDriftReference(db: Database, runId: number): StoredDriftReference | undefined {
  const row = db.prepare('SELECT reference, images, created_at AS createdAt FROM drift_references WHERE run_id = ?').get(runId) as
    | { reference: string; images: number; createdAt: number }
    | undefined
  return row && { reference: JSON.parse(row.reference) as unknown, images: row.images, createdAt: row.createdAt }
}

/** Stores (or replaces) a run's reference. */
export function saveDriftReference(db: Database, runId: number, reference: unknown, images: number, now = Date.now()): void {
  db.prepare(
    `INSERT INTO drift_references (run_id, reference, images, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET reference = excluded.reference, images = excluded.images, created_at = excluded.created_at`
  ).run(runId, JSON.stringify(reference), images, now)
}

export function deleteDriftReference(db: Database, runId: number): boolean {
  return db.prepare('DELETE FROM drift_references WHERE run_id = ?').run(runId).changes > 0
}
