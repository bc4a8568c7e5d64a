// Which run the Review view opens on. Issue 14: it opened the newest run, so a worse experiment
// trained after a good one hid the good one. Now: the run the user last reviewed in this project,
// else the best-scoring one.
import type { Database } from 'better-sqlite3'
import type { ReviewRunChoice } from '../contract/types'
import { bestRunWithModel, rememberedReviewRun } from '../db/queries/review-run'

/** Null when no finished run has a model. */
export function chooseReviewRun(db: Database): ReviewRunChoice | null {
  const remembered = rememberedReviewRun(db)
  if (remembered !== undefined) return { runId: remembered, reason: 'remembered' }
  const best = bestRunWithModel(db)
  if (!best) return null
  const reason = best.testAccuracy !== null ? 'test' : best.valAccuracy !== null ? 'validation' : 'latest'
  return { runId: best.id, reason }
}
