// A run's drift reference: the stored one, or built from the project's labeled images and stored
// (so the first serve or export of an older run builds it, and every later one reads it).
//
// Which images: every readable image labeled with one of the run's classes — training, validation
// and test alike — as the data set the run learned from. Class shares count all of them; the
// model's predictions and features are taken on a seeded sample of at most 2000. Held-out images
// are kept in on purpose: a model is more confident on images it fitted, and a reference of those
// alone would make every new image look like drift.
import type { Database } from 'better-sqlite3'
import type { BackendName } from '../../contract/types'
import { AppError } from '../../core/errors'
import { loadDriftReference, saveDriftReference } from '../../db/queries/drift-references'
import { getFeatures } from '../../db/queries/image-features'
import { loadTrainingExamples } from '../../db/queries/training-data'
import type { ProgressUpdate } from '../../jobs/job'
import { predictImages } from '../../classifier/predict-images'
import { loadRunClassifier, type RunClassifier } from '../../classifier/run-classifier'
import { createRandom } from '../../training/data/random'
import { shuffleInPlace } from '../../training/data/sampler'
import type { DriftReference } from '../serve-types'
import { buildDriftReference, parseDriftReference, type DriftReferenceOptions } from './drift-reference'
import { predictWithPenultimate } from './penultimate-features'

export const DRIFT_MAX_IMAGES = 2000

/** The project has no readable labeled image of the run's classes left (all deleted or relabeled since). */
export class NoReferenceImagesError extends AppError {
  constructor(runId: number, why: string) {
    super('INVALID_REQUEST', `run ${runId} ${why} to build its drift reference from`)
  }
}

export interface RunReferenceOptions extends DriftReferenceOptions {
  /** Where base models live; a mobilenetv2 run extracts features of images it has none for. */
  modelsDir: string
  cacheDir?: string | null
  backend?: BackendName | null
  signal?: AbortSignal
  onProgress?: (update: ProgressUpdate) => void
  /** This run's classifier when the caller has it loaded already (used, not disposed). */
  classifier?: RunClassifier
  /** Images predicted for the reference (default 2000, a seeded sample). */
  maxImages?: number
  /** Build anew even when one is stored. */
  rebuild?: boolean
}

/** The run's stored reference, else one built now and stored (unless the project is read-only). */
export async function driftReferenceForRun(db: Database, runId: number, options: RunReferenceOptions): Promise<DriftReference> {
  if (!options.rebuild) {
    const stored = loadDriftReference(db, runId)
    if (stored) {
      const parsed = parseDriftReference(stored.reference)
      if (parsed.ok) return parsed.reference
      // Unreadable (written by a future version, or damaged): rebuilt below, and replaced.
    }
  }
  const { reference, images } = await buildRunDriftReference(db, runId, options)
  if (!db.readonly) saveDriftReference(db, runId, reference, images)
  return reference
}

/** Builds (does not store) a run's reference; `images` is how many images were predicted for it. */
export async function buildRunDriftReference(db: Database, runId: number, options: RunReferenceOptions): Promise<{ reference: DriftReference; images: number }> {
  const classifier = options.classifier ?? (await loadRunClassifier(db, runId, { modelsDir: options.modelsDir, backend: options.backend ?? null }))
  try {
    const { classes, examples } = loadTrainingExamples(db)
    const outputOf = new Map(classifier.classIds.map((id, index) => [id, index]))
    const labeled = examples.flatMap((example) => {
      const output = outputOf.get(classes[example.classIndex]!.id)
      return output === undefined ? [] : [{ ...example, output }]
    })
    if (labeled.length === 0) {
      throw new NoReferenceImagesError(runId, 'has no labeled images left')
    }
    const sample = shuffleInPlace(labeled.slice(), createRandom(options.seed ?? 1)).slice(0, options.maxImages ?? DRIFT_MAX_IMAGES)
    options.onProgress?.({ done: 0, total: sample.length, message: `Drift reference: predicting ${sample.length} labeled images` })
    const predicted = await predictSample(db, classifier, sample, options)
    if (predicted.length === 0) throw new NoReferenceImagesError(runId, `has none of ${sample.length} sampled images readable`)
    const reference = buildDriftReference(
      {
        labels: classifier.classNames,
        labelIndices: labeled.map((example) => example.output),
        probabilities: predicted.map((entry) => entry.probabilities),
        features: predicted.every((entry) => entry.features !== null) ? predicted.map((entry) => entry.features!) : null
      },
      options
    )
    return { reference, images: predicted.length }
  } finally {
    if (!options.classifier) classifier.dispose()
  }
}

type Sampled = { imageId: number; path: string; contentHash: string | null }

/** Probabilities, and the features drift compares, of each readable sampled image. */
async function predictSample(
  db: Database,
  classifier: RunClassifier,
  sample: readonly Sampled[],
  options: RunReferenceOptions
): Promise<{ probabilities: Float32Array; features: Float32Array | null }[]> {
  if (classifier.kind === 'cnn') return predictWithPenultimate(classifier, sample, options.signal ? { signal: options.signal } : {})
  const predictions = await predictImages(db, classifier, sample, {
    signal: options.signal ?? new AbortController().signal,
    modelsDir: options.modelsDir,
    cacheDir: options.cacheDir ?? null,
    ...(options.onProgress ? { onProgress: options.onProgress } : {})
  })
  // MobileNetV2 with a head on pooled features: those features, already in the project's cache
  // (predictImages put any missing ones there). A fine-tuned top (block 13's feature maps) or an
  // imported ONNX model gives none: drift then watches the class mix and confidence only.
  const features =
    classifier.featureCacheKey && classifier.featureSpec?.boundary === 'pooled'
      ? getFeatures(db, classifier.featureCacheKey, sample.flatMap((image) => image.contentHash ?? []))
      : null
  return sample.flatMap((image) => {
    const probabilities = predictions.probabilities.get(image.imageId)
    if (!probabilities) return []
    const vector = features && image.contentHash !== null ? (features.get(image.contentHash) ?? null) : null
    if (features && !vector) return []
    return [{ probabilities, features: vector }]
  })
}
