// Training batches streamed from disk: decode (or take from the cache), augment, normalise, and
// hand over plain typed arrays. No tfjs here, so it is backend-agnostic and testable on its own;
// to-tensors.ts turns a batch into tensors.
import { applyAugmentation, isAugmenting, sampleAugmentation, validateAugmentOptions } from './augment'
import { createBatchStats, type Batch, type BatchExample, type BatchOptions } from './batch-types'
import { DecodeError, decodeExample, pixelCount, type InputShape } from '../../classifier/decode'
import { ExampleCache } from './example-cache'
import { createRandom, mixSeed } from './random'
import { epochOrder } from './sampler'

import { applyByteTable, UNIT_SCALE } from '../../classifier/pixel-scale'

export { createBatchStats, type Batch, type BatchExample, type BatchOptions, type BatchStats } from './batch-types'


interface Slot {
  x: Float32Array
  y: Int32Array
  weights: Float32Array | undefined
  imageIds: number[]
  rows: number
  remaining: number
  skipped: number[]
  done: Promise<Batch>
  resolve(batch: Batch): void
  reject(error: unknown): void
}

/**
 * One epoch as a stream of batches. At most `prefetch + 1` batch buffers exist at a time (the one
 * being consumed or awaited plus the look-ahead), so memory does not grow with the project; pixels
 * beyond that live only in the optional cache. Ends with the abort reason when `signal` fires,
 * without waiting for decodes in flight. Augmentation is seeded per (seed, epoch, position), so the
 * same options give the same batches whatever the concurrency.
 */
export async function* batches(examples: readonly BatchExample[], options: BatchOptions): AsyncGenerator<Batch, void, undefined> {
  const { batchSize, seed, epoch, signal } = options
  const shape: InputShape = { width: options.width, height: options.height, channels: options.channels }
  const concurrency = options.concurrency ?? 4
  const prefetch = options.prefetch ?? 1
  for (const [name, value, min] of [['batchSize', batchSize, 1], ['concurrency', concurrency, 1], ['prefetch', prefetch, 0]] as const) {
    if (!(Number.isInteger(value) && value >= min)) throw new RangeError(`${name} must be a whole number ≥ ${min}, got ${value}`)
  }
  const augment = isAugmenting(options.augment) ? options.augment : undefined
  if (augment) validateAugmentOptions(augment)
  const weightOf = options.classWeights
  for (const example of examples) {
    if (weightOf && weightOf[example.classIndex] === undefined) throw new RangeError(`no class weight for class ${example.classIndex}`)
  }
  signal?.throwIfAborted()

  const { shuffle, oversample } = options
  const order = epochOrder(examples.map((example) => example.classIndex), { seed, epoch, shuffle, oversample })
  const total = order.length
  const batchCount = Math.ceil(total / batchSize)
  const perImage = pixelCount(shape)
  const decode = options.decode ?? decodeExample
  const stats = options.stats ?? createBatchStats()
  const slots = new Map<number, Slot>()
  let nextPosition = 0
  let released = 0 // batches the consumer has given back
  let failure: { error: unknown } | undefined
  let stopped = false
  let waiters: (() => void)[] = []
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter()
  }

  const slot = (index: number): Slot => {
    let found = slots.get(index)
    if (!found) {
      const rows = Math.min(batchSize, total - index * batchSize)
      let resolve!: (batch: Batch) => void
      let reject!: (error: unknown) => void
      const done = new Promise<Batch>((yes, no) => ((resolve = yes), (reject = no)))
      done.catch(() => {}) // a look-ahead batch that fails after the consumer left is nobody's error
      found = {
        x: new Float32Array(rows * perImage),
        y: new Int32Array(rows),
        weights: weightOf ? new Float32Array(rows) : undefined,
        imageIds: new Array<number>(rows),
        rows,
        remaining: rows,
        skipped: [],
        done,
        resolve,
        reject
      }
      slots.set(index, found)
      stats.liveBatches++
      stats.maxLiveBatches = Math.max(stats.maxLiveBatches, stats.liveBatches)
      if (failure) reject(failure.error)
    }
    return found
  }

  const fail = (error: unknown) => {
    if (failure) return
    failure = { error }
    for (const pending of slots.values()) pending.reject(error)
    wake()
  }
  const onAbort = () => fail(signal!.reason)
  signal?.addEventListener('abort', onAbort, { once: true })

  const load = async (example: BatchExample): Promise<Uint8Array> => {
    const key = options.cache ? ExampleCache.key(example, shape) : ''
    const cached = options.cache?.get(key)
    if (cached) {
      stats.cacheHits++
      return cached
    }
    stats.decodesInFlight++
    stats.maxDecodesInFlight = Math.max(stats.maxDecodesInFlight, stats.decodesInFlight)
    try {
      const pixels = await decode(example.path, shape)
      if (pixels.length !== perImage) {
        throw new DecodeError(example.path, `the decoder returned ${pixels.length} values, expected ${perImage}`)
      }
      stats.decoded++
      options.cache?.set(key, pixels)
      return pixels
    } finally {
      stats.decodesInFlight--
    }
  }

  const finishRow = (target: Slot) => {
    if (--target.remaining > 0) return
    target.resolve(assemble(target, shape))
  }

  const worker = async () => {
    const scratch = augment ? new Uint8Array(perImage) : undefined
    for (;;) {
      // The look-ahead window: never start a batch beyond `prefetch` past the one being consumed.
      while (!stopped && !failure && nextPosition < total && Math.floor(nextPosition / batchSize) > released + prefetch) {
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
      if (stopped || failure || nextPosition >= total) return
      const position = nextPosition++
      const target = slot(Math.floor(position / batchSize))
      const row = position % batchSize
      const example = examples[order[position]!]!
      let pixels: Uint8Array
      try {
        pixels = await load(example)
      } catch (error) {
        if (stopped || failure) return
        if (!(error instanceof DecodeError) || !options.onDecodeError) return fail(error)
        try {
          options.onDecodeError(error, example)
        } catch (callbackError) {
          return fail(callbackError)
        }
        stats.skipped++
        target.skipped.push(row)
        finishRow(target)
        continue
      }
      if (stopped || failure) return
      if (augment && scratch) {
        const random = createRandom(mixSeed(seed, epoch, position))
        const params = sampleAugmentation(augment, random, shape.width, shape.height)
        pixels = applyAugmentation({ data: pixels, ...shape }, params, scratch)
      }
      const x = target.x
      applyByteTable(pixels, UNIT_SCALE, x, row * perImage)
      target.y[row] = example.classIndex
      if (target.weights) target.weights[row] = weightOf![example.classIndex]!
      target.imageIds[row] = example.imageId
      finishRow(target)
    }
  }

  for (let i = 0; i < Math.min(concurrency, total); i++) void worker().catch(fail)
  try {
    for (let index = 0; index < batchCount; index++) {
      if (failure) throw failure.error
      const batch = await slot(index).done
      if (batch.size > 0) yield batch
      // Back here means the consumer asked for the next batch: this buffer is theirs now, not ours.
      slots.delete(index)
      stats.liveBatches--
      released = index + 1
      wake()
    }
  } finally {
    stopped = true
    signal?.removeEventListener('abort', onAbort)
    stats.liveBatches -= slots.size
    slots.clear()
    wake()
    waiters = []
  }
}

/** The finished batch; rows whose file could not be read are dropped (copies only in that rare case). */
function assemble(slot: Slot, shape: InputShape): Batch {
  const perImage = pixelCount(shape)
  let { x, y, weights, imageIds } = slot
  if (slot.skipped.length > 0) {
    const skipped = new Set(slot.skipped)
    const keep = Array.from({ length: slot.rows }, (_, row) => row).filter((row) => !skipped.has(row))
    const packed = new Float32Array(keep.length * perImage)
    keep.forEach((row, to) => packed.set(x.subarray(row * perImage, (row + 1) * perImage), to * perImage))
    x = packed
    y = Int32Array.from(keep, (row) => y[row]!)
    weights = weights ? Float32Array.from(keep, (row) => weights![row]!) : undefined
    imageIds = keep.map((row) => imageIds[row]!)
  }
  const size = y.length
  const batch: Batch = { x, y, imageIds, size, shape: [size, shape.height, shape.width, shape.channels] }
  if (weights) batch.weights = weights
  return batch
}
