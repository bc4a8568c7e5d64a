// Fills the project's feature cache: runs the backbone only on images whose content hash has no
// features for this base model version yet, one committed batch at a time.
import type { Database } from 'better-sqlite3'
import type { BackendName } from '../../contract/types'
import { AppError } from '../../core/errors'
import { findMissingFeatures, insertFeatures } from '../../db/queries/image-features'
import type { ProgressUpdate } from '../../jobs/job'
import { activateBackend } from '../../tfjs/backend'
import { BASE_MODEL_ID, baseModelVersion, locateBaseModel } from './base-model'
import { FeatureExtractor } from './feature-extractor'
import type { FileResult } from './feature-messages'
import { extractInWorkers, featureWorkerCount } from './feature-workers'
import { onnxRuntimeChosen } from '../inference-engine'
import { OnnxFeatureExtractor, type GraphQuantizer } from './onnx-feature-extractor'
import { calibratingQuantizer } from './calibrating-quantizer'
import { extractInThisThread, PREFETCH_BATCHES } from './extract-in-thread'
import { DEFAULT_FEATURE_SPEC, featureCacheKey, specSuffix, type FeatureSpec } from './feature-spec'

/** What extraction needs of an image (a TrainingExample has more). */
export interface FeatureExample {
  imageId: number
  path: string
  contentHash: string | null
}

export interface ExtractionProgress extends ProgressUpdate {
  /** Images computed so far in this call (cached ones are not counted: they cost nothing). */
  done: number
  total: number
  /** Backbone throughput so far, decode included. */
  imagesPerSecond: number | null
}

export interface ExtractOptions {
  modelsDir: string
  /** The data folder's cache, where ONNX Runtime's backbone graph is kept between runs (see OnnxFeatureExtractor). */
  cacheDir?: string | null
  signal: AbortSignal
  onProgress?: (progress: ExtractionProgress) => void
  /** Images per backbone call and per committed transaction. Default 16 (the wasm sweet spot). */
  batchSize?: number
  backend?: BackendName | null
  /** An extractor already loaded (a caller extracting several times, or a test counting calls). */
  extractor?: FeatureExtractor
  /**
   * Forces an engine. By default: ONNX Runtime when installed (one session on every core), unless
   * PICTOR_INFERENCE=tfjs, a backend is forced or an extractor is given; else TF.js workers.
   */
  engine?: FeatureEngine
  /** What to compute (input size, boundary, precision); default 224 px, pooled, float32. A given extractor's own spec wins. */
  spec?: FeatureSpec
  /** Builds an int8 graph when an int8 spec's graph is not cached yet; by default calibratingQuantizer on (up to 200 of) `examples`. */
  quantize?: GraphQuantizer
  /** How the pipeline runs (benchmarks compare settings); the defaults are the measured ones. */
  tuning?: ExtractionTuning
}

export interface ExtractionTuning {
  /** Batches decoded ahead of the one on the backbone, in this thread. Default PREFETCH_BATCHES. */
  prefetchBatches?: number
  /** Let ONNX Runtime's idle threads spin (OnnxExtractorOptions.spinning). Default off. */
  spinning?: boolean
}

export type FeatureEngine = 'onnxruntime' | 'tfjs'

export interface ExtractionReport {
  /** The base model's version (its weights). */
  modelVersion: string
  /** What the features are: input size, boundary, precision (int8 falls back to float32 without ONNX Runtime). */
  spec: FeatureSpec
  /** The key the features are stored under in image_features (featureCacheKey of the two above). */
  cacheKey: string
  /** Distinct content hashes asked for. */
  total: number
  /** Found in the cache. */
  cached: number
  /** Run through the backbone by this call. */
  computed: number
  /** Files that could not be decoded (moved, deleted, damaged since import): no features, left out. */
  skipped: { imageId: number; path: string; reason: string }[]
  /** Examples without a content hash (never expected for 'ok' images): left out. */
  unhashed: number
  /** Wall time of the call, model loading included. */
  seconds: number
  /** Images computed per second of decoding + backbone (null when nothing was computed). */
  imagesPerSecond: number | null
  /** What ran the backbone: 'onnxruntime' or 'tfjs-<backend>'. */
  engine: string
  /** Set when ONNX Runtime was chosen but could not start, and TF.js took over: why. */
  fallback?: string
}

export const DEFAULT_EXTRACTION_BATCH = 16

/**
 * Computes and stores the missing features: with ONNX Runtime when it is installed (one session on
 * every core, in this thread; see ExtractOptions.engine), else on a single-threaded backend (wasm, cpu) in
 * `PICTOR_FEATURE_WORKERS` worker threads (default one per core, up to 4) pulling batches from one
 * queue, else (or with one worker, or a preloaded extractor) in this thread. Every batch is
 * committed here as it finishes. Cancelling stops handing out batches; those already on a backbone
 * finish and are committed, then CANCELLED is thrown; calling again resumes with what is still missing.
 */
export async function extractMissingFeatures(
  db: Database,
  examples: readonly FeatureExample[],
  options: ExtractOptions
): Promise<ExtractionReport> {
  const started = performance.now()
  const { signal } = options
  const engine: FeatureEngine = options.engine ?? (options.extractor || options.backend ? 'tfjs' : (await onnxRuntimeChosen()) ? 'onnxruntime' : 'tfjs')
  const batchSize = options.batchSize ?? (engine === 'onnxruntime' ? DEFAULT_ORT_BATCH : DEFAULT_EXTRACTION_BATCH)
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize must be a whole number ≥ 1, got ${batchSize}`)
  const prefetch = options.tuning?.prefetchBatches ?? PREFETCH_BATCHES
  if (!(Number.isInteger(prefetch) && prefetch >= 1)) throw new RangeError(`prefetchBatches must be a whole number ≥ 1, got ${prefetch}`)
  const modelVersion = options.extractor?.version ?? (await baseModelVersion(await locateBaseModel(options.modelsDir), BASE_MODEL_ID))
  const asked = options.extractor?.spec ?? options.spec ?? DEFAULT_FEATURE_SPEC
  // Only ONNX Runtime runs an int8 graph; TF.js computes the float32 features of the same spec.
  const spec: FeatureSpec = engine === 'onnxruntime' ? asked : { ...asked, precision: 'float32' }
  const cacheKey = featureCacheKey(modelVersion, spec)

  // One path per hash: duplicates share features, so the first file with a hash stands for all.
  const byHash = new Map<string, FeatureExample>()
  let unhashed = 0
  for (const example of examples) {
    if (example.contentHash === null) unhashed++
    else if (!byHash.has(example.contentHash)) byHash.set(example.contentHash, example)
  }
  const missing = findMissingFeatures(db, cacheKey, [...byHash.keys()])
  const report: ExtractionReport = {
    modelVersion,
    spec,
    cacheKey,
    total: byHash.size,
    cached: byHash.size - missing.length,
    computed: 0,
    skipped: [],
    unhashed,
    seconds: 0,
    imagesPerSecond: null,
    engine: engine === 'onnxruntime' ? 'onnxruntime' : `tfjs-${options.extractor?.backend ?? options.backend ?? 'wasm'}`
  }
  let computeStarted = started
  const finish = () => {
    const now = performance.now()
    report.seconds = (now - started) / 1000
    // Throughput of decode + backbone only: loading the model once is not a per-image cost.
    report.imagesPerSecond = report.computed > 0 && now > computeStarted ? report.computed / ((now - computeStarted) / 1000) : null
    return report
  }
  if (missing.length === 0) {
    options.onProgress?.({ done: 0, total: 0, imagesPerSecond: null, message: `Features: all ${byHash.size} images cached`, detail: null })
    return finish()
  }
  signal.throwIfAborted()

  const batches: string[][] = []
  for (let i = 0; i < missing.length; i += batchSize) batches.push(missing.slice(i, i + batchSize))
  let attempted = 0
  // One committed transaction per batch, so a cancel or a kill keeps every finished batch.
  const commit = (results: readonly FileResult[]) => {
    const ready = results.filter((result) => result.error === undefined)
    for (const result of results) {
      if (result.error === undefined) continue
      const example = byHash.get(result.contentHash)!
      report.skipped.push({ imageId: example.imageId, path: example.path, reason: result.error })
    }
    insertFeatures(db, cacheKey, ready.map((result) => ({ contentHash: result.contentHash, features: result.features })))
    report.computed += ready.length
    attempted += results.length
    const seconds = (performance.now() - computeStarted) / 1000
    const rate = seconds > 0 ? attempted / seconds : null
    options.onProgress?.({
      done: attempted,
      total: missing.length,
      imagesPerSecond: rate,
      message: `Extracting features: ${attempted}/${missing.length} images` + (rate === null ? '' : ` (${rate.toFixed(1)} images/s)`),
      detail: null
    })
  }

  if (engine === 'onnxruntime') {
    let onnx: OnnxFeatureExtractor | null = null
    try {
      const quantize = options.quantize ?? (spec.precision === 'int8' ? calibratingQuantizer(examples) : undefined)
      onnx = await OnnxFeatureExtractor.load(options.modelsDir, {
        cacheDir: options.cacheDir ?? null,
        spec,
        ...(quantize ? { quantize } : {}),
        ...(options.tuning?.spinning !== undefined ? { spinning: options.tuning.spinning } : {})
      })
    } catch (error) {
      // ONNX Runtime is an optional native package: if it cannot run this graph, TF.js still can.
      report.fallback = `ONNX Runtime could not start (${(error as Error).message}); used TF.js`
    }
    if (onnx) {
      if (onnx.version !== modelVersion) {
        onnx.dispose()
        throw new Error(`the base model changed while extracting (${onnx.version})`)
      }
      await extractInThisThread(batches, byHash, signal, { extractor: onnx, owned: true, inputSize: spec.inputSize, prefetch }, commit, () => (computeStarted = performance.now()))
      if (signal.aborted) throw cancelled()
      return finish()
    }
    if (spec.precision === 'int8') {
      // Without ONNX Runtime the float32 features of the same size and boundary are computed instead.
      throw new Error(`int8 features (${specSuffix(spec)}) need ONNX Runtime, which could not start: ${report.fallback}`)
    }
  }

  // The wasm (and cpu) backends use one core per thread: several cores need several workers.
  const backend = options.extractor ? options.extractor.backend : (await activateBackend(options.backend ?? undefined)).name
  report.engine = `tfjs-${backend}`
  const workers = options.extractor || !SINGLE_THREADED.has(backend) ? 1 : Math.min(featureWorkerCount(), batches.length)
  if (workers > 1) {
    await extractInWorkers({
      workers,
      modelJsonPath: await locateBaseModel(options.modelsDir),
      backend,
      version: modelVersion,
      spec,
      batches: batches.map((hashes) => hashes.map((contentHash) => ({ contentHash, path: byHash.get(contentHash)!.path }))),
      signal,
      onStart: () => (computeStarted = performance.now()),
      onBatch: commit
    })
  } else {
    const extractor = options.extractor ?? (await FeatureExtractor.load(options.modelsDir, { backend: options.backend ?? null, spec }))
    if (extractor.version !== modelVersion) {
      if (!options.extractor) extractor.dispose()
      throw new Error(`the base model changed while extracting (${extractor.version})`)
    }
    await extractInThisThread(batches, byHash, signal, { extractor, owned: !options.extractor, inputSize: spec.inputSize, prefetch }, commit, () => (computeStarted = performance.now()))
  }
  if (signal.aborted) throw cancelled()
  return finish()

  function cancelled() {
    return new AppError('CANCELLED', `feature extraction was cancelled after ${report.computed} of ${missing.length} images; it resumes where it stopped`)
  }
}

/** ONNX Runtime parallelises inside one call: bigger batches keep every core busy. */
const DEFAULT_ORT_BATCH = 32

const SINGLE_THREADED = new Set<BackendName>(['wasm', 'cpu'])
