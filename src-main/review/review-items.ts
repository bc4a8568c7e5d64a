// The images behind the Review view's lists: one confusion-matrix cell, and the top losses (the
// labeled images the model finds least likely to carry their label — likely label errors or hard cases).
import type { Database } from 'better-sqlite3'
import type { EvaluationSplit, ReviewItem } from '../contract/types'
import { AppError } from '../core/errors'
import {
  cellRows,
  decodeProbabilities,
  lowestLabelProbabilityIds,
  predictionRows,
  type LabeledPredictionRow
} from '../db/queries/predictions'
import type { RunEvaluationRow } from '../db/queries/run-evaluations'
import { crossEntropy } from './metrics'

export function cellItems(
  db: Database,
  evaluation: RunEvaluationRow,
  request: { split: EvaluationSplit; trueClassId: number; predictedClassId: number; limit: number }
): ReviewItem[] {
  const predictedIndex = evaluation.classIds.indexOf(request.predictedClassId)
  for (const classId of [request.trueClassId, request.predictedClassId]) {
    if (!evaluation.classIds.includes(classId)) {
      throw new AppError('INVALID_REQUEST', `class ${classId} is not one of run ${evaluation.runId}'s classes`)
    }
  }
  return cellRows(db, evaluation.runId, request.split, request.trueClassId, predictedIndex, request.limit).map((row) =>
    toItem(row, evaluation.classIds)
  )
}

/**
 * Labeled images ranked by −ln p(current label), highest first; SQLite ranks, only the top rows are
 * read whole. `mistakesOnly` leaves out the images the model predicts as labeled: a hard but right
 * image is not what someone hunting label errors is looking for.
 */
export function topLossItems(
  db: Database,
  evaluation: RunEvaluationRow,
  request: { split: EvaluationSplit; limit: number; mistakesOnly: boolean }
): ReviewItem[] {
  const { split, limit, mistakesOnly } = request
  const ids = lowestLabelProbabilityIds(db, evaluation.runId, evaluation.classIds, split, limit, mistakesOnly)
  const rows = new Map(predictionRows(db, evaluation.runId, ids).map((row) => [row.imageId, row]))
  return ids.flatMap((imageId) => {
    const row = rows.get(imageId)
    return row ? [toItem(row, evaluation.classIds)] : []
  })
}

function toItem(row: LabeledPredictionRow, classIds: readonly number[]): ReviewItem {
  const probabilities = decodeProbabilities(row.probabilities)
  const trueIndex = row.classId === null ? -1 : classIds.indexOf(row.classId)
  const trueProbability = trueIndex < 0 ? null : probabilities[trueIndex]!
  return {
    imageId: row.imageId,
    relPath: row.relPath,
    contentHash: row.contentHash,
    split: row.split,
    trueClassId: row.classId,
    predictedClassId: classIds[row.predictedIndex]!,
    confidence: row.confidence,
    trueProbability,
    loss: trueProbability === null ? null : crossEntropy(trueProbability)
  }
}
