// Predicting every image below a folder with a Predictor (an exported ONNX file, or a project's run):
// decode in batches, the next batch decoding while the model runs on this one, and every row handed
// to the caller as soon as its batch is done, so output streams and a cancel keeps what was written.
// An unreadable file is a row with an error, never the end of the run.
import { open } from 'node:fs/promises'
import { relative } from 'node:path'
import { sniff, type SniffedKind } from '../import/image-kinds'
import { walkFolder } from '../import/walk'
import { DecodeError } from '../classifier/decode'
import type { Predictor } from '../classifier/predictors'

export interface Ranked {
  label: string
  probability: number
}

export interface PredictionRow {
  /** Relative to the predicted folder, '/'-separated. */
  path: string
  /** Best first; empty when the file could not be read. */
  top: Ranked[]
  error: string | null
}

export interface PredictFolderOptions {
  /** How many classes each row lists, best first. */
  top: number
  /** Images per model call. */
  batchSize?: number
  signal?: AbortSignal
  /** Told how many rows to expect once the folder has been walked (before the first row). */
  onFiles?(count: number): void
  /** Called once per image, in batches, in the order of the sorted file list. */
  onRows(rows: PredictionRow[]): void | Promise<void>
}

export interface PredictSummary {
  engine: string
  images: number
  predicted: number
  failed: number
  cancelled: boolean
  seconds: number
  imagesPerSecond: number | null
}

export const DEFAULT_PREDICT_BATCH = 32

export async function predictFolder(folder: string, predictor: Predictor, options: PredictFolderOptions): Promise<PredictSummary> {
  const started = performance.now()
  const { signal } = options
  const batchSize = options.batchSize ?? DEFAULT_PREDICT_BATCH
  const top = Math.max(1, Math.min(options.top, predictor.labels.length))
  const walked = await walkFolder(folder, signal)
  const files = walked.files.map((file) => file.absPath).sort()
  const summary: PredictSummary = { engine: predictor.engine, images: files.length + walked.problems.length, predicted: 0, failed: 0, cancelled: false, seconds: 0, imagesPerSecond: null }
  const rel = (path: string) => relative(folder, path).split('\\').join('/')
  options.onFiles?.(summary.images)

  // Files the walk could not even open (dangling links, unreadable folders) are rows too.
  if (walked.problems.length > 0) {
    summary.failed += walked.problems.length
    await options.onRows(walked.problems.map((problem) => ({ path: problem.relPath, top: [], error: `${problem.code}: ${problem.message}` })))
  }

  const load = (paths: readonly string[]) => {
    const loading = Promise.all(paths.map((path) => decode(predictor, path)))
    loading.catch(() => {}) // awaited below; this only stops an unhandled rejection meanwhile
    return loading
  }
  let next = files.length > 0 ? load(files.slice(0, batchSize)) : null
  for (let start = 0; start < files.length; start += batchSize) {
    const decoded = await next!
    if (signal?.aborted) {
      summary.cancelled = true
      break
    }
    next = start + batchSize < files.length ? load(files.slice(start + batchSize, start + 2 * batchSize)) : null
    const ready = decoded.filter((item): item is Float32Array => typeof item !== 'string')
    const probabilities = ready.length > 0 ? await predictor.predict(ready) : []
    let row = 0
    const rows = decoded.map((item, index): PredictionRow => {
      const path = rel(files[start + index]!)
      if (typeof item === 'string') return { path, top: [], error: item }
      return { path, top: rank(probabilities[row++]!, predictor.labels, top), error: null }
    })
    summary.predicted += ready.length
    summary.failed += decoded.length - ready.length
    await options.onRows(rows)
  }
  if (signal?.aborted) summary.cancelled = true
  summary.seconds = (performance.now() - started) / 1000
  summary.imagesPerSecond = summary.predicted > 0 ? summary.predicted / summary.seconds : null
  return summary
}

/** The model input for one file, or why it cannot be read (only decode problems; anything else is a bug and throws). */
async function decode(predictor: Predictor, path: string): Promise<Float32Array | string> {
  try {
    return await predictor.preprocess(path)
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error
    // What the first bytes say tells "not an image" from "a damaged image", as the importer does.
    const kind = await sniffFile(path)
    if (kind === null) return 'NOT_AN_IMAGE: the file is not an image Pictor can read'
    if (kind === 'bmp') return 'UNSUPPORTED_FORMAT: BMP images cannot be decoded'
    // DecodeError's message is phrased for training ("cannot decode … for training: why"): keep the why.
    return `CORRUPT: ${error.message.replace(/^cannot decode .* for training: /s, '')}`
  }
}

async function sniffFile(path: string): Promise<SniffedKind | 'unreadable'> {
  try {
    const file = await open(path, 'r')
    try {
      const head = new Uint8Array(512)
      const { bytesRead } = await file.read(head, 0, head.length, 0)
      return sniff(head.subarray(0, bytesRead))
    } finally {
      await file.close()
    }
  } catch {
    return 'unreadable'
  }
}

/** The `top` most probable classes, best first (ties keep output order). */
export function rank(probabilities: Float32Array, labels: readonly string[], top: number): Ranked[] {
  return [...probabilities]
    .map((probability, index) => ({ label: labels[index]!, probability, index }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, top)
    .map(({ label, probability }) => ({ label, probability }))
}
