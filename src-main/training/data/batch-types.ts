// The shapes batches.ts takes and yields, apart from the generator so the engine can import them
// without pulling in sharp.
import type { TrainingExample } from '../../db/queries/training-data'
import type { AugmentOptions } from './augment'
import type { DecodeError, InputShape } from '../../classifier/decode'
import type { ExampleCache } from './example-cache'

/** What batches needs of an example (a TrainingExample has more). */
export type BatchExample = Pick<TrainingExample, 'imageId' | 'path' | 'contentHash' | 'classIndex'>

export interface BatchOptions extends InputShape {
  batchSize: number
  /** Run seed; with `epoch` it fixes the order and every augmentation. */
  seed: number
  epoch: number
  /** Absent: no augmentation (validation, test, prediction). */
  augment?: AugmentOptions
  /** Default true; turn off for evaluation so results line up with the example list. */
  shuffle?: boolean
  /** Draw every class as often as the largest (see sampler.ts). Default false. */
  oversample?: boolean
  /** Per-class loss weights (sampler.classWeights); each batch then carries per-sample `weights`. */
  classWeights?: readonly number[]
  cache?: ExampleCache
  /** Decodes in flight. Default 4: sharp runs on libuv's pool, 4 threads unless UV_THREADPOOL_SIZE says otherwise. */
  concurrency?: number
  /** Batches decoded ahead of the one the consumer holds. Default 1: decoding overlaps a training step. */
  prefetch?: number
  signal?: AbortSignal
  /** When given, an unreadable file is reported here and left out of its batch instead of ending the epoch. */
  onDecodeError?: (error: DecodeError, example: BatchExample) => void
  /** Counters updated while the epoch runs (for tests and logs); see createBatchStats. */
  stats?: BatchStats
  /** Replaces decodeExample (tests, or decoding in worker threads). */
  decode?: (path: string, shape: InputShape) => Promise<Uint8Array>
}

export interface Batch {
  /** size × height × width × channels values in [0, 1], NHWC. */
  x: Float32Array
  /** Class index per sample. */
  y: Int32Array
  /** Per-sample loss weight, when classWeights were given. */
  weights?: Float32Array
  /** Which image each sample is, e.g. to store predictions. */
  imageIds: number[]
  size: number
  shape: [size: number, height: number, width: number, channels: number]
}

export interface BatchStats {
  decoded: number
  cacheHits: number
  skipped: number
  /** Batch buffers allocated and not yet given back (the consumer gives one back by asking for the next). */
  liveBatches: number
  maxLiveBatches: number
  decodesInFlight: number
  maxDecodesInFlight: number
}

export function createBatchStats(): BatchStats {
  return { decoded: 0, cacheHits: 0, skipped: 0, liveBatches: 0, maxLiveBatches: 0, decodesInFlight: 0, maxDecodesInFlight: 0 }
}
