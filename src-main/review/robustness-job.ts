// The robustness job: accuracy of a run's model on held-out images perturbed by FGSM at a few
// pixel-sized ε, stored as the run's robustness report. Runs in a worker (robustness-worker.ts).
import * as tf from '@tensorflow/tfjs-core'
import type { Database } from 'better-sqlite3'
import type { BackendName, ImageSplit, RobustnessPoint, RobustnessReport } from '../contract/types'
import { AppError } from '../core/errors'
import { withJobDatabase } from '../db/connection'
import { saveRobustnessReport } from '../db/queries/robustness-reports'
import { loadTrainingExamples } from '../db/queries/training-data'
import type { JobContext } from '../jobs/job'
import { DecodeError } from '../classifier/decode'
import { createRandom } from '../training/data/random'
import { shuffleInPlace } from '../training/data/sampler'
import { withValidation } from '../training/holdout'
import { EPSILONS, fgsmCorrectCounts } from './fgsm'
import { loadRunClassifier, type RunClassifier } from '../classifier/run-classifier'

export interface RobustnessInput {
  projectPath: string
  modelsDir: string
  runId: number
  count: number
  backend?: BackendName | null
  seed?: number
  /** Images per gradient call. Default 8 (a MobileNetV2 backward pass holds many activations). */
  batchSize?: number
  epsilons?: readonly number[]
}

export interface RobustnessResult extends RobustnessReport {
  /** Accuracy at each single FGSM step (the stored points count an image only if it survives every step up to ε). */
  atStep: RobustnessPoint[]
  /** Images that could not be read and were left out. */
  unreadable: number
  notes: string[]
}

/** A labeled image the run can score: its label is one of the run's output classes. */
export interface ScoredImage {
  imageId: number
  path: string
  label: number
}

/** Why an imported run has no robustness check; also said before a job starts (issue-handlers.ts). */
export const ROBUSTNESS_NEEDS_TFJS = (runId: number): string =>
  `run ${runId} is an imported ONNX model: the robustness check needs gradients through a model trained in Pictor`

export function runRobustness(input: RobustnessInput, context: JobContext): Promise<RobustnessResult> {
  return withJobDatabase(input.projectPath, async (db) => {
    const classifier = await loadRunClassifier(db, input.runId, { modelsDir: input.modelsDir, backend: input.backend ?? null })
    try {
      return await measure(db, classifier, input, context)
    } finally {
      classifier.dispose()
    }
  })
}

/**
 * The images to perturb: the test split, else validation (the project's, or the tenth of the
 * training images a run holds out when the project has none), else — last resort, said in the
 * notes — the training split, where accuracy is optimistic. A seeded sample of `count`.
 */
export function chooseImages(db: Database, classIds: readonly number[], count: number, seed: number): { split: ImageSplit; images: ScoredImage[]; notes: string[] } {
  const { classes, examples } = loadTrainingExamples(db)
  const outputOf = new Map(classIds.map((id, index) => [id, index]))
  const scorable = withValidation(examples).examples.flatMap((example) => {
    const label = outputOf.get(classes[example.classIndex]!.id)
    return label === undefined ? [] : [{ imageId: example.imageId, path: example.path, label, split: example.split }]
  })
  const notes: string[] = []
  let split: ImageSplit = 'test'
  let pool = scorable.filter((image) => image.split === 'test')
  if (pool.length === 0) {
    split = 'val'
    pool = scorable.filter((image) => image.split === 'val')
  }
  if (pool.length === 0) {
    split = 'train'
    pool = scorable
    notes.push('no test or validation images: measured on training images, so accuracy is optimistic')
  }
  if (pool.length === 0) throw new AppError('INVALID_REQUEST', 'no labeled image has one of the run’s classes')
  const sample = shuffleInPlace(pool.slice(), createRandom(seed)).slice(0, count)
  if (sample.length < count) notes.push(`the ${split} split has ${sample.length} images; all were used`)
  return { split, images: sample.map(({ imageId, path, label }) => ({ imageId, path, label })), notes }
}

async function measure(db: Database, classifier: RunClassifier, input: RobustnessInput, { signal, onProgress }: JobContext): Promise<RobustnessResult> {
  const model = classifier.model
  // FGSM follows the loss's gradient through the model: an imported ONNX graph has none to follow here.
  if (!model) throw new AppError('UNSUPPORTED', ROBUSTNESS_NEEDS_TFJS(classifier.runId))
  const epsilons = input.epsilons ?? EPSILONS
  const batchSize = input.batchSize ?? 8
  const { split, images, notes } = chooseImages(db, classifier.classIds, input.count, input.seed ?? 1)
  const [height, width, channels] = classifier.inputShape
  const correct = new Array<number>(epsilons.length).fill(0)
  const atStep = new Array<number>(epsilons.length).fill(0)
  let scored = 0
  let unreadable = 0
  for (let start = 0; start < images.length; start += batchSize) {
    const batch = images.slice(start, start + batchSize)
    const inputs = await Promise.all(batch.map((image) => readImage(classifier, image.path)))
    const ready = batch.filter((_, index) => inputs[index] !== null)
    unreadable += batch.length - ready.length
    if (ready.length > 0) {
      const values = new Float32Array(ready.length * height * width * channels)
      let offset = 0
      for (const pixels of inputs) {
        if (pixels === null) continue
        values.set(pixels, offset)
        offset += pixels.length
      }
      const xs = tf.tensor4d(values, [ready.length, height, width, channels])
      try {
        const counts = fgsmCorrectCounts(model, xs, ready.map((image) => image.label), classifier.classIds.length, epsilons, classifier)
        counts.robust.forEach((count, index) => (correct[index]! += count))
        counts.atStep.forEach((count, index) => (atStep[index]! += count))
      } finally {
        xs.dispose()
      }
      scored += ready.length
    }
    onProgress({ done: start + batch.length, total: images.length, message: `Perturbing images: ${start + batch.length} of ${images.length}` })
    // A worker thread only sees a cancel message when its event loop gets a turn.
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (signal.aborted) throw new AppError('CANCELLED', 'the robustness check was cancelled')
  }
  if (scored === 0) throw new AppError('INVALID_REQUEST', `none of the ${images.length} ${split} images could be read`)
  if (unreadable > 0) notes.push(`${unreadable} unreadable image${unreadable === 1 ? ' was' : 's were'} left out`)
  const points: RobustnessPoint[] = epsilons.map((epsilon, index) => ({
    epsilon,
    accuracy: correct[index]! / scored,
    singleStep: atStep[index]! / scored
  }))
  const report: RobustnessReport = { runId: classifier.runId, computedAt: Date.now(), split, count: scored, points }
  saveRobustnessReport(db, report)
  onProgress({ done: images.length, total: images.length, message: `Robustness: ${describe(points)}`, important: true })
  return { ...report, atStep: epsilons.map((epsilon, index) => ({ epsilon, accuracy: atStep[index]! / scored })), unreadable, notes }
}

async function readImage(classifier: RunClassifier, path: string): Promise<Float32Array | null> {
  try {
    return await classifier.preprocess(path)
  } catch (error) {
    // A file moved or damaged since import leaves one image out, not the whole check.
    if (error instanceof DecodeError) return null
    throw error
  }
}

function describe(points: readonly RobustnessPoint[]): string {
  return points.map((point) => `ε=${Math.round(point.epsilon * 255)}/255 ${(point.accuracy * 100).toFixed(1)}%`).join(', ')
}
