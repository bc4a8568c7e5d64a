// Which trained run a review, suggestion, robustness or export request means. One rule everywhere:
// a named run must exist and have a model; no run named means the newest finished run with a model.
import type { Database } from 'better-sqlite3'
import type { RunSummary } from '../contract/types'
import { AppError } from '../core/errors'
import { found } from '../core/not-found'
import { getRun, latestRunWithModel } from '../db/queries/training-runs'

/**
 * The run to use `for` something (e.g. 'to evaluate'), as an AppError the user can act on otherwise:
 * NOT_FOUND for a run that does not exist, INVALID_REQUEST when there is nothing trained to use.
 */
export function runWithModel(db: Database, runId: number | undefined, purpose: string): RunSummary {
  const chosen = runId ?? latestRunWithModel(db)
  if (chosen === undefined) throw new AppError('INVALID_REQUEST', `there is no finished run with a trained model ${purpose}; train a model first`)
  const run = found(getRun(db, chosen), 'run', chosen)
  if (!run.hasModel) throw new AppError('INVALID_REQUEST', `run ${chosen} has no trained model ${purpose} (status: ${run.status})`)
  return run
}
