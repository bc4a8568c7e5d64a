// Model-assisted labeling: predicts every unlabeled image with a run's classifier and stores the
// most probable class as that image's suggestion. Runs in a worker thread (suggest-worker.ts).
import type { Database } from 'better-sqlite3'
import type { BackendName } from '../contract/types'
import { AppError } from '../core/errors'
import { withJobDatabase } from '../db/connection'
import { dropSuggestionsNotFrom, unlabeledImages, writeSuggestions, type SuggestionRow } from '../db/queries/suggestions'
import type { JobContext } from '../jobs/job'
import { extractMissingFeatures } from '../classifier/features/extract-features'
import { predictImages } from '../classifier/predict-images'
import { loadRunClassifier, type RunClassifier } from '../classifier/run-classifier'

export interface SuggestInput {
  projectPath: string
  modelsDir: string
  /** The data folder's cache (the backbone's ONNX graph). */
  cacheDir?: string | null
  runId: number
  /** Images per prediction call and per committed transaction. */
  batchSize?: number
  backend?: BackendName | null
}

export interface SuggestResult {
  runId: number
  /** Unlabeled images predicted. */
  total: number
  /** Suggestions written. */
  suggested: number
  /** Images that could not be decoded (moved or damaged since import). */
  failed: { imageId: number; message: string }[]
  engine: string | null
  seconds: number
}

/**
 * Big enough that a MobileNetV2 run's feature extraction gets whole worker batches, small enough
 * that progress moves and a cancel keeps most of what was done.
 */
export const DEFAULT_SUGGEST_BATCH = 256

export function suggestJob(input: SuggestInput, context: JobContext): Promise<SuggestResult> {
  return withJobDatabase(input.projectPath, (db) => suggestWith(db, input, context))
}

/** The job on an open database (tests call it directly). */
export async function suggestWith(db: Database, input: SuggestInput, { signal, onProgress }: JobContext): Promise<SuggestResult> {
  const started = performance.now()
  const batchSize = input.batchSize ?? DEFAULT_SUGGEST_BATCH
  const images = unlabeledImages(db)
  const total = images.length
  onProgress({ done: 0, total, message: 'Loading the model…', important: true })
  const classifier = await loadRunClassifier(db, input.runId, { modelsDir: input.modelsDir, backend: input.backend ?? null })
  // One time stamp for every row of this job: it is how the job's rows are told from older ones.
  const computedAt = Date.now()
  const result: SuggestResult = { runId: input.runId, total, suggested: 0, failed: [], engine: null, seconds: 0 }
  try {
    if (classifier.kind === 'mobilenetv2') {
      // Fill the feature cache for every image first, in one pass over the extraction workers (they
      // load the backbone once); each batch below then finds its features cached and runs the head.
      await extractMissingFeatures(db, images, {
        modelsDir: input.modelsDir,
        cacheDir: input.cacheDir ?? null,
        signal,
        backend: input.backend ?? null,
        // What the run's model takes (another input size, or block 14's input for a fine-tuned run).
        ...(classifier.featureSpec ? { spec: classifier.featureSpec } : {}),
        onProgress: ({ done, total: missing, message }) => onProgress({ done, total: missing, message })
      })
    }
    for (let start = 0; start < total; start += batchSize) {
      signal.throwIfAborted()
      const batch = images.slice(start, start + batchSize)
      const prediction = await predictImages(db, classifier, batch, {
        signal,
        modelsDir: input.modelsDir,
        cacheDir: input.cacheDir ?? null,
        // Within a batch the classifier reports its own progress, scaled into the job's.
        onProgress: (update) => {
          const part = update.total ? Math.min(1, update.done / update.total) : 0
          onProgress({ done: start + Math.round(part * batch.length), total, message: update.message })
        }
      })
      result.engine = prediction.engine
      result.failed.push(...prediction.failed)
      const rows = toSuggestions(classifier, prediction.probabilities)
      writeSuggestions(db, input.runId, rows, computedAt)
      result.suggested += rows.length
      const done = start + batch.length
      onProgress({ done, total, message: `Suggested ${result.suggested} of ${total} unlabeled images`, important: done === total })
    }
  } catch (error) {
    if (signal.aborted) throw new AppError('CANCELLED', `cancelled after ${result.suggested} suggestions`)
    throw error
  } finally {
    classifier.dispose()
  }
  // Only a finished job replaces the older suggestions: a cancelled one leaves them as they were.
  dropSuggestionsNotFrom(db, input.runId, computedAt)
  result.seconds = (performance.now() - started) / 1000
  return result
}

/** The most probable class of each image and its probability. */
export function toSuggestions(classifier: Pick<RunClassifier, 'classIds'>, probabilities: ReadonlyMap<number, Float32Array>): SuggestionRow[] {
  const rows: SuggestionRow[] = []
  for (const [imageId, probs] of probabilities) {
    let best = 0
    for (let index = 1; index < probs.length; index++) if (probs[index]! > probs[best]!) best = index
    const classId = classifier.classIds[best]
    if (classId === undefined || !Number.isFinite(probs[best]!)) continue
    rows.push({ imageId, classId, confidence: probs[best]! })
  }
  return rows
}
