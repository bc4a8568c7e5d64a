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
 * Whether the labels differ now from what they were at `since` (the moment a run read its training
 * data). Changed back is not changed: a relabel that was undone leaves the model's picture of the
 * data true (issue 14: the "retrain" banner stayed after an undo).
 *
 * Label history says what each image was at `since`: the old class of the first action recorded
 * after it that touched the image (undone or not: an undone action still says what came before).
 * Those images are compared with their current label.
 *
 * A label written after `since` with no such action left is a change when the image was imported
 * after `since` (the run never saw it) or an action recorded before `since` that touched it is now
 * undone (undone after the run read it, as far as anyone can tell: undo is not dated). Otherwise it
 * was put back by an undo whose record a later action dropped from the redo stack, and is what it
 * was. Not seen, for want of dates: a redo of an action that was undone before `since`, and an undo
 * of an action recorded before `since` whose record a later action dropped, or that only removed labels.
 */
export function labelsChangedSince(db: Database, since: number): boolean {
  return (
    db
      .prepare(
        `WITH later AS (
           SELECT c.image_id, min(c.action_id) AS firstAction
           FROM label_changes c JOIN label_actions a ON a.id = c.action_id
           WHERE a.created_at > @since
           GROUP BY c.image_id)
         SELECT EXISTS (
                  SELECT 1 FROM later
                  JOIN label_changes c ON c.action_id = later.firstAction AND c.image_id = later.image_id
                  LEFT JOIN labels l ON l.image_id = later.image_id
                  WHERE c.old_class_id IS NOT l.class_id)
             OR EXISTS (
                  SELECT 1 FROM labels l JOIN images i ON i.id = l.image_id
                  WHERE l.updated_at > @since AND l.image_id NOT IN (SELECT image_id FROM later)
                    AND (i.imported_at > @since
                         OR EXISTS (SELECT 1 FROM label_changes c JOIN label_actions a ON a.id = c.action_id
                                    WHERE c.image_id = l.image_id AND a.created_at <= @since AND a.undone = 1)))`
      )
      .pluck()
      .get({ since }) === 1
  )
}
