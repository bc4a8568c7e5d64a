// The in-thread extraction pipeline (issue 18): files decoded and scaled by sharp on libuv's threads
// a few batches ahead of one backbone (ONNX Runtime's session, or TF.js in this thread), each batch's
// features handed back to be committed before the next one runs.
import { DecodeError } from '../decode'
import type { FeatureExample } from './extract-features'
import type { FileResult } from './feature-messages'
import { preprocessForMobileNet } from './mobilenet-preprocess'

/** What extractInThisThread needs of an engine (FeatureExtractor and OnnxFeatureExtractor both are). */
export interface BatchExtractor {
  extract(images: readonly Float32Array[]): Promise<Float32Array[]>
  dispose(): void
}

/**
 * Batches decoded ahead of the backbone. One is not enough on ONNX Runtime: decoding a batch of small
 * images upscaled to 224 px takes about as long as the backbone on it, and a batch whose files decode
 * slowly then leaves the backbone idle; two keep it fed at (2 + 1) × batch × s²·3 floats (about 58 MB
 * at 32 × 224 px). Measured figures: README "MobileNetV2 in one click".
 */
export const PREFETCH_BATCHES = 2

/**
 * One backbone in the calling thread. Decoding of the next `prefetch` batches (sharp, on libuv's
 * threads) overlaps the backbone on the current one (TF.js wasm, or ONNX Runtime on its own threads,
 * which sleep rather than spin when idle so the decoders get the cores); a cancel stops between
 * batches, dropping what was decoded ahead. Disposes the extractor when `owned`.
 */
export async function extractInThisThread(
  batches: readonly string[][],
  byHash: ReadonlyMap<string, FeatureExample>,
  signal: AbortSignal,
  { extractor, owned, inputSize, prefetch }: { extractor: BatchExtractor; owned: boolean; inputSize: number; prefetch: number },
  commit: (results: readonly FileResult[]) => void,
  onStart: () => void
): Promise<void> {
  const load = (hashes: string[]) => {
    const loading = Promise.all(hashes.map((hash) => preprocess(byHash.get(hash)!, inputSize)))
    // Handled here so a failure while the backbone runs (or after a cancel) is not an unhandled
    // rejection; awaiting `loading` later still throws it.
    loading.catch(() => {})
    return loading
  }
  // Bounded: at most `prefetch` batches decoded or decoding while one is on the backbone.
  const ahead: ReturnType<typeof load>[] = []
  let queued = 0
  const fill = () => {
    while (ahead.length < prefetch && queued < batches.length) ahead.push(load(batches[queued++]!))
  }
  onStart()
  fill()
  try {
    for (let index = 0; index < batches.length; index++) {
      const images = await ahead.shift()!
      if (signal.aborted) break
      fill()
      const ready = images.filter((image) => image.pixels !== null)
      const features = await extractor.extract(ready.map((image) => image.pixels!))
      let row = 0
      commit(images.map((image) => (image.pixels === null ? { contentHash: image.hash, error: image.reason! } : { contentHash: image.hash, features: features[row++]! })))
    }
  } finally {
    if (owned) extractor.dispose()
  }
}

interface Preprocessed {
  hash: string
  pixels: Float32Array | null
  reason?: string
}

async function preprocess(example: FeatureExample, inputSize: number): Promise<Preprocessed> {
  const hash = example.contentHash!
  try {
    return { hash, pixels: await preprocessForMobileNet(example.path, inputSize) }
  } catch (error) {
    // A file that vanished or broke since import leaves one image out, not the whole run.
    if (!(error instanceof DecodeError)) throw error
    return { hash, pixels: null, reason: error.message }
  }
}
