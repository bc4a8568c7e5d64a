import type { Database } from 'better-sqlite3'

// Which run the Review view opens (schema v9): the one the user last chose, kept in the project row
// (`project.review_run_id`, cleared by its foreign key when that run is deleted), else the best one.

/** A run has a model to review: trained (run_models) or imported as ONNX (run_onnx_models, schema v11). */
const HAS_MODEL = `(EXISTS (SELECT 1 FROM run_models m WHERE m.run_id = r.id) OR EXISTS (SELECT 1 FROM run_onnx_models o WHERE o.run_id = r.id))`

/** The remembered run, if it still has a model to review. */
export function rememberedReviewRun(db: Database): number | undefined {
  return db
    .prepare(
      `SELECT r.id FROM project p JOIN training_runs r ON r.id = p.review_run_id
       WHERE p.id = 1 AND r.status = 'done' AND ${HAS_MODEL}`
    )
    .pluck()
    .get() as number | undefined
}

/** Remembers `runId` as the run last reviewed. False when there is no project row. */
export function rememberReviewRun(db: Database, runId: number): boolean {
  return db.prepare('UPDATE project SET review_run_id = ? WHERE id = 1').run(runId).changes > 0
}

export interface RankedRun {
  id: number
  testAccuracy: number | null
  valAccuracy: number | null
}

/**
 * The finished run with a model that scored best: on the test split where any run has a test
 * accuracy, else on validation; ties and runs with neither go to the newest. Undefined when no run
 * has a model.
 */
export function bestRunWithModel(db: Database): RankedRun | undefined {
  return db
    .prepare(
      `SELECT id, testAccuracy, valAccuracy FROM (
         SELECT r.id,
                json_extract(r.summary, '$.testAccuracy') AS testAccuracy,
                json_extract(r.summary, '$.valAccuracy') AS valAccuracy
         FROM training_runs r
         WHERE r.status = 'done' AND ${HAS_MODEL})
       ORDER BY testAccuracy IS NULL, testAccuracy DESC, valAccuracy IS NULL, valAccuracy DESC, id DESC
       LIMIT 1`
    )
    .get() as RankedRun | undefined
}
