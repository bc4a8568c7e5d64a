// Class probabilities for many images with a run's classifier, the fast way for each model kind:
// a mobilenetv2 run goes through the project's feature cache (the backbone runs only on images it
// has never seen, on the best engine present) and then just its head; a CNN (on TF.js) or an imported
// run (on ONNX Runtime) decodes and predicts.
import * as tf from '@tensorflow/tfjs-core'
import type { Database } from 'better-sqlite3'
import { AppError } from '../core/errors'
import { getFeatures } from '../db/queries/image-features'
import type { ProgressUpdate } from '../jobs/job'
import { DecodeError } from './decode'
import { featureLength, featureShape } from './features/feature-spec'
import { extractMissingFeatures, type ExtractionReport } from './features/extract-features'
import type { RunClassifier } from './run-classifier'

export interface ImageToPredict {
  imageId: number
  path: string
  contentHash: string | null
}

export interface PredictOptions {
  signal: AbortSignal
  onProgress?: (update: ProgressUpdate) => void
  /** Needed for mobilenetv2 runs (missing features are extracted with the installed base model). */
  modelsDir: string
  /** The data folder's cache (the backbone's ONNX graph). */
  cacheDir?: string | null
  /** Images per model call. */
  batchSize?: number
}

export interface Predictions {
  /** Probabilities in the classifier's output order, by image id. */
  probabilities: Map<number, Float32Array>
  /** Images that could not be read (moved, deleted or damaged since import). */
  failed: { imageId: number; message: string }[]
  /** What computed them, e.g. 'tfjs-wasm' or 'onnxruntime features + tfjs-wasm head'. */
  engine: string
}

export async function predictImages(
  db: Database,
  classifier: RunClassifier,
  images: readonly ImageToPredict[],
  options: PredictOptions
): Promise<Predictions> {
  return classifier.kind === 'mobilenetv2' ? predictFromFeatures(db, classifier, images, options) : predictFromPixels(classifier, images, options)
}

async function predictFromFeatures(
  db: Database,
  classifier: RunClassifier,
  images: readonly ImageToPredict[],
  options: PredictOptions
): Promise<Predictions> {
  const spec = classifier.featureSpec!
  const report: ExtractionReport = await extractMissingFeatures(db, images, {
    modelsDir: options.modelsDir,
    cacheDir: options.cacheDir ?? null,
    signal: options.signal,
    spec,
    ...(options.onProgress ? { onProgress: options.onProgress } : {})
  })
  if (report.modelVersion !== classifier.baseModelVersion) {
    throw new AppError('INVALID_REQUEST', `the installed base model (${report.modelVersion}) is not the one run ${classifier.runId} was trained on`)
  }
  const failed = report.skipped.map((entry) => ({ imageId: entry.imageId, message: entry.reason }))
  const skippedIds = new Set(failed.map((entry) => entry.imageId))
  const features = getFeatures(db, report.cacheKey, images.flatMap((image) => image.contentHash ?? []))
  const ready: { imageId: number; features: Float32Array }[] = []
  for (const image of images) {
    const found = image.contentHash === null ? undefined : features.get(image.contentHash)
    if (found) ready.push({ imageId: image.imageId, features: found })
    else if (!skippedIds.has(image.imageId)) failed.push({ imageId: image.imageId, message: 'the image has no features (it could not be read)' })
  }
  const probabilities = new Map<number, Float32Array>()
  // The head's input per image: the pooled vector, or block 13's feature map for a fine-tuned top.
  const shape = featureShape(report.spec)
  const length = featureLength(report.spec)
  const batchSize = options.batchSize ?? Math.max(16, Math.floor((512 * 1280) / length))
  for (let start = 0; start < ready.length; start += batchSize) {
    options.signal.throwIfAborted()
    const batch = ready.slice(start, start + batchSize)
    const input = new Float32Array(batch.length * length)
    batch.forEach((entry, index) => input.set(entry.features, index * length))
    const rows = await predictRows(classifier.head!, input, [batch.length, ...shape])
    batch.forEach((entry, index) => probabilities.set(entry.imageId, rows[index]!))
  }
  return { probabilities, failed, engine: `${report.engine} features + tfjs-${classifier.backend} head` }
}

async function predictFromPixels(classifier: RunClassifier, images: readonly ImageToPredict[], options: PredictOptions): Promise<Predictions> {
  const values = classifier.inputShape.reduce((product, side) => product * side, 1)
  const batchSize = options.batchSize ?? 64
  const probabilities = new Map<number, Float32Array>()
  const failed: Predictions['failed'] = []
  const started = performance.now()
  const load = (batch: readonly ImageToPredict[]) =>
    Promise.all(
      batch.map(async (image) => {
        try {
          return { image, pixels: await classifier.preprocess(image.path) }
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error
          return { image, pixels: null, message: error.message }
        }
      })
    )
  // Decoding the next batch (sharp, off this thread) overlaps the model on this one.
  let next: ReturnType<typeof load> | null = images.length > 0 ? load(images.slice(0, batchSize)) : null
  for (let start = 0; start < images.length; start += batchSize) {
    const decoded = await next!
    next = start + batchSize < images.length ? load(images.slice(start + batchSize, start + 2 * batchSize)) : null
    next?.catch(() => {})
    if (options.signal.aborted) {
      await next?.catch(() => {})
      options.signal.throwIfAborted()
    }
    const ready = decoded.filter((entry) => entry.pixels !== null)
    for (const entry of decoded) if (entry.pixels === null) failed.push({ imageId: entry.image.imageId, message: entry.message! })
    if (ready.length > 0) {
      const input = new Float32Array(ready.length * values)
      ready.forEach((entry, index) => input.set(entry.pixels!, index * values))
      const rows = await classifier.predictBatch(input, ready.length)
      ready.forEach((entry, index) => probabilities.set(entry.image.imageId, rows[index]!))
    }
    const done = Math.min(start + batchSize, images.length)
    const seconds = (performance.now() - started) / 1000
    options.onProgress?.({
      done,
      total: images.length,
      message: `Predicting: ${done}/${images.length} images` + (seconds > 0 ? ` (${(done / seconds).toFixed(0)} images/s)` : '')
    })
  }
  return { probabilities, failed, engine: classifier.engine }
}

/** One forward pass of a layers model; each output row copied out so it owns its memory. */
export async function predictRows(
  model: NonNullable<RunClassifier['model']>,
  input: Float32Array,
  shape: number[]
): Promise<Float32Array[]> {
  const output = tf.tidy(() => model.predict(tf.tensor(input, shape)) as tf.Tensor)
  try {
    const [rows, classes] = output.shape as [number, number]
    const data = (await output.data()) as Float32Array
    return Array.from({ length: rows }, (_, row) => data.slice(row * classes, (row + 1) * classes))
  } finally {
    output.dispose()
  }
}
