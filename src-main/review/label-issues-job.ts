// The label-issues job: MobileNetV2 features for every labeled image (cached; only missing ones are
// extracted), out-of-fold probabilities from k heads, confident learning on them, and the flagged
// images stored as the project's one scan. Runs in a worker (label-issues-worker.ts).
import { existsSync } from 'node:fs'
import type { Database } from 'better-sqlite3'
import type { BackendName } from '../contract/types'
import { AppError } from '../core/errors'
import { withJobDatabase } from '../db/connection'
import { getFeatures } from '../db/queries/image-features'
import { saveLabelIssueScan } from '../db/queries/label-issue-scans'
import { replaceLabelIssues } from '../db/queries/label-issues'
import { loadTrainingExamples } from '../db/queries/training-data'
import { writeTransaction } from '../db/transaction'
import type { JobContext } from '../jobs/job'
import { activateBackend } from '../tfjs/backend'
import { locateBaseModel } from '../classifier/features/base-model'
import { extractMissingFeatures } from '../classifier/features/extract-features'
import { packFeatures } from '../transfer/feature-set'
import { findSuspects, type SuspectRule } from './confident-learning'
import { outOfFoldProbabilities, type HeadTraining } from './out-of-fold'

export interface LabelIssuesInput {
  projectPath: string
  modelsDir: string
  /** The data folder's cache (the backbone's ONNX graph). */
  cacheDir?: string | null
  folds: number
  backend?: BackendName | null
  seed?: number
  /** Tests and benchmarks only; the app uses the defaults. */
  rule?: SuspectRule
  training?: HeadTraining
}

export interface LabelIssuesResult {
  folds: number
  examined: number
  flagged: number
  /** Labeled images left out: unreadable files, or no content hash. */
  skipped: number
  modelVersion: string
  computedAt: number
  /** Features extracted by this scan (the rest came from the cache). */
  extracted: number
  seconds: number
}

export const NO_BASE_MODEL =
  'finding label errors needs the MobileNetV2 base model: install it in the Train view (or `pictor models fetch`), then try again'

export function runLabelIssues(input: LabelIssuesInput, context: JobContext): Promise<LabelIssuesResult> {
  return withJobDatabase(input.projectPath, (db) => scan(db, input, context))
}

async function scan(db: Database, input: LabelIssuesInput, { signal, onProgress }: JobContext): Promise<LabelIssuesResult> {
  const started = performance.now()
  const { folds } = input
  if (!existsSync(await locateBaseModel(input.modelsDir))) throw new AppError('NOT_FOUND', NO_BASE_MODEL)
  await activateBackend(input.backend ?? undefined)
  // The scan is dated when it reads the labels: a relabel while it runs makes it stale at once.
  const computedAt = Date.now()
  const { classes, examples } = loadTrainingExamples(db)
  const populated = new Set(examples.map((example) => example.classIndex))
  if (populated.size < 2) throw new AppError('INVALID_REQUEST', 'finding label errors needs labeled images in at least two classes')

  const extraction = await extractMissingFeatures(db, examples, {
    modelsDir: input.modelsDir,
    cacheDir: input.cacheDir ?? null,
    signal,
    backend: input.backend ?? null,
    onProgress
  })
  const byHash = getFeatures(db, extraction.cacheKey, examples.flatMap((example) => example.contentHash ?? []))
  const set = packFeatures(examples, byHash)
  signal.throwIfAborted()
  onProgress({ done: 0, total: folds, message: `Checking labels: training ${folds} heads on ${set.size} images`, important: true })
  const probabilities = await outOfFoldProbabilities(set, classes.length, {
    folds,
    signal,
    seed: input.seed ?? 1,
    ...input.training,
    onFold: (finished) => onProgress({ done: finished, total: folds, message: `Checking labels: fold ${finished} of ${folds}` })
  })
  const suspects = findSuspects(probabilities, set.classIndices, input.rule ? { rule: input.rule } : {})
  signal.throwIfAborted()

  writeTransaction(db, () => {
    saveLabelIssueScan(db, { folds, examined: set.size, modelVersion: extraction.modelVersion, computedAt })
    replaceLabelIssues(
      db,
      suspects.map((suspect, rank) => ({
        imageId: set.imageIds[suspect.row]!,
        givenClassId: classes[suspect.givenIndex]!.id,
        suggestedClassId: classes[suspect.suggestedIndex]!.id,
        selfConfidence: suspect.selfConfidence,
        suggestedConfidence: suspect.suggestedConfidence,
        rank
      }))
    )
  })
  onProgress({ done: folds, total: folds, message: `Checked ${set.size} labels: ${suspects.length} look wrong`, important: true })
  return {
    folds,
    examined: set.size,
    flagged: suspects.length,
    skipped: set.left,
    modelVersion: extraction.modelVersion,
    computedAt,
    extracted: extraction.computed,
    seconds: (performance.now() - started) / 1000
  }
}
