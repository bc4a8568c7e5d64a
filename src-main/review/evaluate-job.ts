// The 'evaluate' job: predicts every labeled image of the project with one run's classifier (all
// splits, so top losses can show training images too) and swaps the run's stored evaluation for the
// new one at the very end, so a cancelled or crashed evaluation leaves the previous one intact.
import type { BackendName } from '../contract/types'
import { AppError } from '../core/errors'
import type { Database } from 'better-sqlite3'
import { withJobDatabase } from '../db/connection'
import { replaceRunEvaluation } from '../db/queries/run-evaluations'
import { loadTrainingExamples } from '../db/queries/training-data'
import type { JobContext } from '../jobs/job'
import { predictImages } from '../classifier/predict-images'
import { loadRunClassifier, type RunClassifier } from '../classifier/run-classifier'

export interface EvaluateInput {
  projectPath: string
  modelsDir: string
  /** The data folder's cache (the backbone's ONNX graph). */
  cacheDir?: string | null
  runId: number
  backend?: BackendName | null
}

export interface EvaluateResult {
  runId: number
  /** Images predicted and stored. */
  predicted: number
  /** Images that could not be read (moved, deleted or damaged since import), with why (first 20). */
  skipped: number
  skippedSamples: { imageId: number; message: string }[]
  engine: string
  seconds: number
}

const CANCELLED_MESSAGE = 'evaluation was cancelled; the previous evaluation (if any) is kept'

export function evaluateRun(input: EvaluateInput, context: JobContext): Promise<EvaluateResult> {
  return withJobDatabase(input.projectPath, (db) => evaluateWith(db, input, context))
}

async function evaluateWith(db: Database, input: EvaluateInput, { signal, onProgress }: JobContext): Promise<EvaluateResult> {
  const started = performance.now()
  let classifier: RunClassifier | null = null
  try {
    onProgress({ done: 0, total: null, message: `Loading run ${input.runId}'s model…` })
    classifier = await loadRunClassifier(db, input.runId, { modelsDir: input.modelsDir, backend: input.backend ?? null })
    // Readable images labeled with a live class: exactly what training could have used.
    const images = loadTrainingExamples(db).examples.map(({ imageId, path, contentHash }) => ({ imageId, path, contentHash }))
    onProgress({ done: 0, total: images.length, message: `Predicting ${images.length} labeled images…` })
    const predictions = await predictImages(db, classifier, images, { signal, onProgress, modelsDir: input.modelsDir, cacheDir: input.cacheDir ?? null })
    // Nothing may be written once the user asked to stop.
    signal.throwIfAborted()
    const predicted = replaceRunEvaluation(
      db,
      { runId: input.runId, classIds: classifier.classIds, engine: predictions.engine, computedAt: Date.now() },
      [...predictions.probabilities].map(([imageId, probabilities]) => ({ imageId, probabilities }))
    )
    onProgress({ done: images.length, total: images.length, message: `Evaluated ${predicted} images`, important: true })
    return {
      runId: input.runId,
      predicted,
      skipped: predictions.failed.length,
      skippedSamples: predictions.failed.slice(0, 20),
      engine: predictions.engine,
      seconds: (performance.now() - started) / 1000
    }
  } catch (error) {
    if (signal.aborted) throw new AppError('CANCELLED', CANCELLED_MESSAGE)
    throw error
  } finally {
    classifier?.dispose()
  }
}
