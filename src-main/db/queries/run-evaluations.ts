import type { Database } from 'better-sqlite3'
import { insertPredictions, type StoredPrediction } from './predictions'
import { writeTransaction } from '../transaction'

// One evaluation per run (table `run_evaluations`, schema v6): which class each output unit meant
// when the predictions were computed, and by what engine. Metrics are never stored (see
// src-main/review/evaluate-report.ts): they are recomputed against the current labels.

export interface RunEvaluationRow {
  runId: number
  /** Output index → class id, fixed when the evaluation ran (a later rename keeps the id). */
  classIds: number[]
  engine: string
  computedAt: number
}

export function getRunEvaluation(db: Database, runId: number): RunEvaluationRow | undefined {
  const row = db
    .prepare('SELECT run_id AS runId, class_ids AS classIds, engine, computed_at AS computedAt FROM run_evaluations WHERE run_id = ?')
    .get(runId) as { runId: number; classIds: string; engine: string; computedAt: number } | undefined
  return row ? { ...row, classIds: JSON.parse(row.classIds) as number[] } : undefined
}

/**
 * Swaps a run's evaluation for a new one in a single transaction: until it commits, readers see the
 * previous evaluation whole, and a crash or cancel before it leaves that one intact.
 */
export function replaceRunEvaluation(
  db: Database,
  evaluation: RunEvaluationRow,
  predictions: Iterable<StoredPrediction>
): number {
  return writeTransaction(db, () => {
    // predictions hangs off training_runs (v1's table), not run_evaluations: clear both.
    db.prepare('DELETE FROM predictions WHERE run_id = ?').run(evaluation.runId)
    db.prepare('DELETE FROM run_evaluations WHERE run_id = ?').run(evaluation.runId)
    db.prepare('INSERT INTO run_evaluations (run_id, class_ids, engine, computed_at) VALUES (?, ?, ?, ?)').run(
      evaluation.runId,
      JSON.stringify(evaluation.classIds),
      evaluation.engine,
      evaluation.computedAt
    )
    return insertPredictions(db, evaluation.runId, predictions)
  })
}


/**
 * Whether any label changed after `since` (the moment the run read its training data). Every user
 * edit writes labels.updated_at (set, relabel, merge, undo/redo that sets a label) and every new
 * action writes label_actions.created_at (which also covers edits that remove a label); imports
 * write labels.updated_at for newly labeled images. Not seen: an undo/redo that only removes labels
 * of an action recorded before `since` — no timestamp records it.
 */
export function labelsChangedSince(db: Database, since: number): boolean {
  return (
    db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM labels WHERE updated_at > ?)
             OR EXISTS (SELECT 1 FROM label_actions WHERE created_at > ?)`
      )
      .pluck()
      .get(since, since) === 1
  )
}
