// The images behind the Review view's lists: one confusion-matrix cell, and the top losses (the
// labeled images the model finds least likely to carry their label — likely label errors or hard cases).
import type { Database } from 'better-sqlite3'
import type { EvaluationSplit, ReviewItem } from '../contract/types'
import { AppError } from '../core/errors'
import { cellRows, decodeProbabilities, labeledProbabilities, predictionRows, type LabeledPredictionRow } from '../db/queries/predictions'
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
 * Labeled images ranked by −ln p(current label), highest first. Every blob of the split is decoded
 * once (a float per class is cheap next to the query), only the top `limit` are kept.
 */
export function topLossItems(db: Database, evaluation: RunEvaluationRow, split: EvaluationSplit, limit: number): ReviewItem[] {
  const indexOf = new Map(evaluation.classIds.map((classId, index) => [classId, index]))
  const losses: { imageId: number; loss: number }[] = []
  for (const row of labeledProbabilities(db, evaluation.runId, evaluation.classIds, split)) {
    const probabilities = decodeProbabilities(row.probabilities)
    losses.push({ imageId: row.imageId, loss: crossEntropy(probabilities[indexOf.get(row.classId)!] ?? 0) })
  }
  losses.sort((a, b) => b.loss - a.loss || a.imageId - b.imageId)
  const top = losses.slice(0, limit)
  const rows = new Map(predictionRows(db, evaluation.runId, top.map((entry) => entry.imageId)).map((row) => [row.imageId, row]))
  return top.flatMap((entry) => {
    const row = rows.get(entry.imageId)
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
