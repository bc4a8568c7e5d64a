// review.evaluation: a run's stored predictions scored against the project's *current* labels and
// splits, so a relabel or a split change shows in the matrix at once without re-predicting.
import type { Database } from 'better-sqlite3'
import type { Evaluation, EvaluationSplit } from '../contract/types'
import { getClass } from '../db/queries/classes'
import { labelPredictionCounts } from '../db/queries/predictions'
import { getRunEvaluation, labelsChangedSince, type RunEvaluationRow } from '../db/queries/run-evaluations'
import { getRun } from '../db/queries/training-runs'
import { accuracy, perClassMetrics } from './metrics'

/** Null when the run has never been evaluated. The caller checks the run exists. */
export function evaluationReport(db: Database, runId: number, split: EvaluationSplit): Evaluation | null {
  const stored = getRunEvaluation(db, runId)
  const run = getRun(db, runId)
  if (!stored || !run) return null
  const { classIds } = stored
  const rowOf = new Map(classIds.map((classId, index) => [classId, index]))
  const confusion = classIds.map(() => new Array<number>(classIds.length).fill(0))
  let unscored = 0
  for (const { classId, predictedIndex, count } of labelPredictionCounts(db, runId, classIds, split)) {
    if (predictedIndex === null) unscored += count
    else confusion[rowOf.get(classId)!]![predictedIndex]! += count
  }
  const labels = classLabels(db, stored, run.classNames)
  const count = confusion.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0)
  return {
    runId,
    split,
    classIds,
    labels,
    count,
    accuracy: accuracy(confusion),
    perClass: perClassMetrics(confusion).map((metrics, index) => ({ classId: classIds[index]!, name: labels[index]!, ...metrics })),
    confusion,
    computedAt: stored.computedAt,
    // The model learned the labels as they were when the run read its data (started_at).
    stale: labelsChangedSince(db, run.startedAt ?? run.createdAt),
    unscored,
    engine: stored.engine
  }
}

/**
 * Display names in output order: a live class shows its current name (renamed since training shows
 * the new one); a deleted class keeps the name the run trained it under.
 */
function classLabels(db: Database, stored: RunEvaluationRow, runClassNames: readonly string[]): string[] {
  return stored.classIds.map((classId, index) => {
    const live = getClass(db, classId)
    return (live?.deletedAt === null ? live.name : undefined) ?? runClassNames[index] ?? `class ${classId}`
  })
}
