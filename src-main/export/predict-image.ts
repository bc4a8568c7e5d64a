// Try it (issue 14): one image, every class with its probability, as Lobe's "Play" shows. This half
// runs in a worker thread that lives between tries (workers/predict-image-worker.ts), so the model a
// source loads once is reused by the next try, and neither loading it nor decoding a large photo ever
// blocks the thread that answers the UI. The image is decoded by the model's own preprocess (the one
// training and folder prediction use), so a try says what a folder prediction of the same file would.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import type { ErrorCode } from '../contract/envelope'
import type { PredictedRank } from '../contract/predict'
import { TRY_IMAGE_MAX_BYTES, tooLargeMessage } from '../contract/try-image'
import { AppError, fromSystemError } from '../core/errors'
import { withJobDatabase } from '../db/connection'
import { DecodeError } from '../classifier/decode'
import { exportedModelPredictor, runPredictor, type Predictor } from '../classifier/predictors'
import { DEFAULT_LIMITS } from '../import/image-analysis'
import { sniff } from '../import/image-kinds'
import type { PredictJobSource } from './predict-job'
import { rank } from './predict-folder'

/** Models kept loaded: the one being tried and the one before (switching back and forth stays fast). */
export const KEEP_MODELS = 2
/** The preview's longest side: the Try it panel shows it at most 240 px, twice that for dense screens. */
export const PREVIEW_SIZE = 480

export interface ImageToTry {
  /** Names the model: the same key means the same model (a run's, or an exported file as it is now). */
  key: string
  source: PredictJobSource
  image: { path: string } | { bytes: Uint8Array; name: string }
}

export interface TriedImage {
  ranks: PredictedRank[]
  engine: string
  ms: number
  loadMs: number | null
  preview: string
}

/** Messages between the main side (services/image-worker.ts) and the worker. */
export type ToImageWorker = { type: 'try'; id: number; request: ImageToTry } | { type: 'close' }
export type FromImageWorker = { id: number; ok: true; value: TriedImage } | { id: number; ok: false; code: ErrorCode; message: string }

export class ImageTrier {
  /** Least recently used first. */
  readonly #models = new Map<string, Promise<Predictor>>()
  /** One try at a time: a model is never run by two tries at once, and a second try of a source waits for its load. */
  #queue: Promise<unknown> = Promise.resolve()
  #tempDir: Promise<string> | null = null

  try(request: ImageToTry): Promise<TriedImage> {
    const next = this.#queue.then(() => this.#try(request))
    this.#queue = next.catch(() => {})
    return next
  }

  async dispose(): Promise<void> {
    const models = [...this.#models.values()]
    this.#models.clear()
    for (const model of models) (await model.catch(() => null))?.dispose()
    if (this.#tempDir) await rm(await this.#tempDir, { recursive: true, force: true })
  }

  async #try({ key, source, image }: ImageToTry): Promise<TriedImage> {
    const started = performance.now()
    // The image's own problems first: a missing or oversized file fails before any model loads.
    const name = 'path' in image ? image.path : image.name
    const bytes = 'path' in image ? await readImageFile(image.path) : image.bytes
    if (bytes.length > TRY_IMAGE_MAX_BYTES) throw new AppError('INVALID_REQUEST', tooLargeMessage(name))
    if (bytes.length === 0) throw new AppError('INVALID_REQUEST', `${name} is empty`)

    const loading = performance.now()
    const cached = this.#models.has(key)
    const predictor = await this.#model(key, source)
    const loadMs = cached ? null : performance.now() - loading
    const file = 'path' in image ? image.path : await this.#writeTemp(bytes)
    try {
      const [pixels, preview] = await Promise.all([preprocess(predictor, file, bytes, name), previewOf(bytes)])
      const [probabilities] = await predictor.predict([pixels])
      return { ranks: rank(probabilities!, predictor.labels, predictor.labels.length), engine: predictor.engine, ms: performance.now() - started - (loadMs ?? 0), loadMs, preview }
    } finally {
      if (!('path' in image)) await rm(file, { force: true })
    }
  }

  /** The source's model, loaded once; the least recently used one goes when a third is loaded. */
  async #model(key: string, source: PredictJobSource): Promise<Predictor> {
    let model = this.#models.get(key)
    if (model) this.#models.delete(key)
    else model = load(source)
    this.#models.set(key, model)
    for (const [oldKey, old] of this.#models) {
      if (this.#models.size <= KEEP_MODELS) break
      this.#models.delete(oldKey)
      ;(await old.catch(() => null))?.dispose()
    }
    try {
      return await model
    } catch (error) {
      // A model that did not load is tried again next time (the user may install the base model).
      if (this.#models.get(key) === model) this.#models.delete(key)
      throw error
    }
  }

  /**
   * Dropped bytes as a file of their own, since every model's preprocess reads a path (the one
   * decoder for training and prediction): a private folder, the file removed right after.
   */
  async #writeTemp(bytes: Uint8Array): Promise<string> {
    this.#tempDir ??= mkdtemp(join(tmpdir(), 'pictor-try-'))
    const file = join(await this.#tempDir, `image-${process.hrtime.bigint()}`)
    await writeFile(file, bytes, { mode: 0o600 })
    return file
  }
}

async function load(source: PredictJobSource): Promise<Predictor> {
  if (source.kind === 'model') return exportedModelPredictor(source.path)
  // Everything a run's predictor needs is read while it loads; the project is closed again after.
  return withJobDatabase(source.projectPath, (db) => runPredictor(db, source.runId, { modelsDir: source.modelsDir }))
}

async function readImageFile(path: string): Promise<Uint8Array> {
  const info = await stat(path).catch((error: unknown) => {
    throw fromSystemError(error, path) ?? error
  })
  if (info.isDirectory()) throw new AppError('INVALID_REQUEST', `${path} is a folder; choose an image file`)
  if (info.size > TRY_IMAGE_MAX_BYTES) throw new AppError('INVALID_REQUEST', tooLargeMessage(path))
  return readFile(path).catch((error: unknown) => {
    throw fromSystemError(error, path) ?? error
  })
}

/** The model's input, or why the file is no image it can read, in the words of a folder prediction's rows. */
async function preprocess(predictor: Predictor, file: string, bytes: Uint8Array, name: string): Promise<Float32Array> {
  try {
    return await predictor.preprocess(file)
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error
    const kind = sniff(bytes.subarray(0, 512))
    if (kind === null) throw new AppError('INVALID_REQUEST', `${name} is not an image Pictor can read`)
    if (kind === 'bmp') throw new AppError('INVALID_REQUEST', `${name} is a BMP image, which Pictor cannot decode; convert it to PNG`)
    // DecodeError's message is phrased for training ("cannot decode … for training: why"): keep the why.
    const why = error.message.replace(/^cannot decode .* for training: /s, '').split('\n')[0]
    throw new AppError('INVALID_REQUEST', `${name} is a damaged ${kind.toUpperCase()} image: ${why}`)
  }
}

/** A small upright WebP of the image to show beside its prediction; '' when only the model's decoder could read it. */
async function previewOf(bytes: Uint8Array): Promise<string> {
  try {
    const webp = await sharp(bytes, { failOn: 'error', limitInputPixels: DEFAULT_LIMITS.maxPixels, animated: false })
      .rotate()
      .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80, effort: 2 })
      .toBuffer()
    return `data:image/webp;base64,${webp.toString('base64')}`
  } catch {
    return ''
  }
}
