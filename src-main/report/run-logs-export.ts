// `pictor runs logs` (issue 17): TensorBoard event files for runs that already exist (trained before
// runs wrote logs, imported, or wanted in another folder), from what the project stored: the settings,
// every recorded epoch, and — when the run has been evaluated — the validation confusion matrix and
// its worst mistakes against the current labels. Weight histograms need the epochs' weights, which
// are not kept: those come only from logs written while training.
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { WrittenRunLogs } from '../contract/run-logs'
import type { RunSummary } from '../contract/types'
import { runFolderName } from '../core/run-folders'
import { getRunEvaluation } from '../db/queries/run-evaluations'
import { loadTrainingExamples } from '../db/queries/training-data'
import { getRun, listRuns } from '../db/queries/training-runs'
import { found } from '../core/not-found'
import { evaluationReport } from '../review/evaluate-report'
import { topLossItems } from '../review/review-items'
import { mistakeCaption, RunLogWriters, WORST_MISTAKES, type EndOfRunImages } from '../training/run-logs'

/** Writes the logs of `runIds` (every run with recorded epochs when empty) under `outRoot`. */
export async function writeStoredRunLogs(db: Database, runIds: readonly number[], outRoot: string): Promise<WrittenRunLogs[]> {
  const runs = runIds.length > 0 ? runIds.map((runId) => found(getRun(db, runId), 'run', runId)) : listRuns(db).reverse().filter((run) => run.epochs.length > 0)
  const written: WrittenRunLogs[] = []
  for (const run of runs) written.push(await writeOne(db, run, join(outRoot, runFolderName(run.id))))
  return written
}

async function writeOne(db: Database, run: RunSummary, dir: string): Promise<WrittenRunLogs> {
  const writers = RunLogWriters.open(dir)
  try {
    writers.describe({ runId: run.id, modelKind: run.modelKind, backend: run.backend, classNames: run.classNames, settings: run.settings, notes: run.summary?.notes ?? [] }, 0)
    const learningRate = typeof run.settings.learningRate === 'number' ? run.settings.learningRate : Number.NaN
    for (const epoch of run.epochs) writers.epoch(epoch, learningRate)
    const images = storedImages(db, run)
    if (images) await writers.endOfRun(images)
    return { runId: run.id, dir, epochs: run.epochs.length, images: images !== null }
  } finally {
    writers.close()
  }
}

/** The validation split's matrix and worst mistakes from the run's stored predictions, if it was evaluated. */
function storedImages(db: Database, run: RunSummary): EndOfRunImages | null {
  const stored = getRunEvaluation(db, run.id)
  const evaluation = evaluationReport(db, run.id, 'val')
  if (!stored || !evaluation || evaluation.count === 0) return null
  const pathOf = new Map(loadTrainingExamples(db).examples.map((example) => [example.imageId, example.path]))
  const nameOf = new Map(evaluation.classIds.map((classId, index) => [classId, evaluation.labels[index]]))
  const worst = topLossItems(db, stored, { split: 'val', limit: WORST_MISTAKES, mistakesOnly: true }).map((item) => ({
    path: pathOf.get(item.imageId) ?? '',
    caption: mistakeCaption(item.trueClassId === null ? undefined : nameOf.get(item.trueClassId), nameOf.get(item.predictedClassId), item.confidence)
  }))
  return { classNames: evaluation.labels, confusion: evaluation.confusion, worst, step: Math.max(0, run.epochs.length - 1) }
}
