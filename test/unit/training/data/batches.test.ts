import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { batches, createBatchStats, type Batch, type BatchExample, type BatchOptions } from '../../../../src-main/training/data/batches'
import { DecodeError, decodeExample } from '../../../../src-main/classifier/decode'
import { ExampleCache } from '../../../../src-main/training/data/example-cache'
import { classCounts } from '../../../../src-main/training/data/sampler'
import { useTempDir } from '../../../helpers/temp-dir'
import { writeExamples } from './fixtures'

const tempDir = useTempDir()
const base = { width: 4, height: 4, channels: 3, batchSize: 16, seed: 1, epoch: 0 } satisfies BatchOptions

async function collect(examples: readonly BatchExample[], options: BatchOptions): Promise<Batch[]> {
  const out: Batch[] = []
  for await (const batch of batches(examples, options)) out.push(batch)
  return out
}

/** The grey level (0–255) each row of a batch was filled with; fixtures encode the index in it. */
const levels = (batch: Batch) => {
  const perImage = batch.shape[1] * batch.shape[2] * batch.shape[3]
  return Array.from({ length: batch.size }, (_, row) => Math.round(batch.x[row * perImage]! * 255))
}

describe('batches', () => {
  it('visits every example exactly once per epoch, with a partial last batch and values in [0, 1]', async () => {
    const examples = await writeExamples(tempDir(), 50, { classes: 3 })
    const result = await collect(examples, base)
    expect(result.map((batch) => batch.size)).toEqual([16, 16, 16, 2])
    expect(result.map((batch) => batch.shape)).toEqual([[16, 4, 4, 3], [16, 4, 4, 3], [16, 4, 4, 3], [2, 4, 4, 3]])
    const ids = result.flatMap((batch) => batch.imageIds)
    expect([...ids].sort((a, b) => a - b)).toEqual(examples.map((example) => example.imageId))
    expect(ids).not.toEqual(examples.map((example) => example.imageId))
    for (const batch of result) {
      expect(batch.x.length).toBe(batch.size * 4 * 4 * 3)
      expect(batch.y.length).toBe(batch.size)
      expect(batch.weights).toBeUndefined()
      expect(Math.min(...batch.x)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...batch.x)).toBeLessThanOrEqual(1)
      // Each row holds its own image and label: fixture i is grey level i, class i % 3.
      levels(batch).forEach((level, row) => {
        expect(level).toBe(batch.imageIds[row]! - 1)
        expect(batch.y[row]).toBe((batch.imageIds[row]! - 1) % 3)
      })
    }
    // The brightest fixture normalises to exactly 1 / 255 × 49.
    expect(Math.max(...result.flatMap((batch) => [...batch.x]))).toBeCloseTo(49 / 255, 6)
  })

  it('keeps the list order when shuffling is off, and gives the same batches for the same seed and epoch', async () => {
    const examples = await writeExamples(tempDir(), 20)
    const ordered = await collect(examples, { ...base, batchSize: 8, shuffle: false })
    expect(ordered.flatMap((batch) => batch.imageIds)).toEqual(examples.map((example) => example.imageId))
    const augment = { rotation: 15, widthShift: 0.1, heightShift: 0.1, zoom: 0.1, horizontalFlip: true, brightness: 0.2 }
    const a = await collect(examples, { ...base, width: 8, height: 8, augment, concurrency: 1 })
    const b = await collect(examples, { ...base, width: 8, height: 8, augment, concurrency: 6 })
    expect(b).toEqual(a)
  })

  it('decodes greyscale and non-square inputs', async () => {
    const examples = await writeExamples(tempDir(), 5, { size: 12 })
    const [batch] = await collect(examples, { ...base, width: 6, height: 3, channels: 1 })
    expect(batch!.shape).toEqual([5, 3, 6, 1])
    expect(batch!.x.length).toBe(5 * 3 * 6)
  })

  it('oversamples to equal class counts and attaches class weights per sample', async () => {
    // 12 examples: classes 0, 0, 0, 1 repeating → 9 of class 0, 3 of class 1.
    const examples = (await writeExamples(tempDir(), 12, { classes: 4 })).map((example) => ({ ...example, classIndex: example.classIndex === 3 ? 1 : 0 }))
    const over = await collect(examples, { ...base, batchSize: 5, oversample: true })
    expect(classCounts(over.flatMap((batch) => [...batch.y]), 2)).toEqual([9, 9])

    const weighted = await collect(examples, { ...base, classWeights: [0.5, 2] })
    for (const batch of weighted) {
      expect(Array.from(batch.weights!)).toEqual(Array.from(batch.y, (classIndex) => (classIndex === 0 ? 0.5 : 2)))
    }
    await expect(collect(examples, { ...base, classWeights: [1] })).rejects.toThrow(/no class weight for class 1/)
  })

  it('holds at most prefetch + 1 batches of pixels at a time over 2,000 images', async () => {
    let start = performance.now()
    const examples = await writeExamples(tempDir(), 2000, { size: 4 })
    console.log(`wrote 2,000 PNGs in ${Math.round(performance.now() - start)} ms`)
    for (const prefetch of [1, 3]) {
      for (const slowConsumer of [false, true]) {
        const stats = createBatchStats()
        let started = 0
        let consumed = 0
        let worstAhead = 0
        let worstDuringDecode = 0
        const decode: BatchOptions['decode'] = (path, shape) => {
          started++
          worstDuringDecode = Math.max(worstDuringDecode, started - consumed)
          return decodeExample(path, shape)
        }
        start = performance.now()
        for await (const batch of batches(examples, { ...base, batchSize: 32, prefetch, concurrency: 8, stats, decode })) {
          consumed += batch.size
          worstAhead = Math.max(worstAhead, started - consumed)
          expect(stats.liveBatches).toBeLessThanOrEqual(prefetch + 1)
          if (slowConsumer) await sleep(2)
        }
        expect(consumed).toBe(2000)
        const elapsed = performance.now() - start
        console.log(`prefetch ${prefetch}, ${slowConsumer ? 'slow' : 'fast'} consumer: 2,000 decodes in ${Math.round(elapsed)} ms`)
        // Decodes started but not yet handed over never exceed the look-ahead's batches.
        expect(worstAhead).toBeLessThanOrEqual(prefetch * 32)
        // Once the consumer asks for the next batch, its old one is released: one awaited + prefetch.
        expect(worstDuringDecode).toBeLessThanOrEqual((prefetch + 1) * 32)
        expect(stats.maxLiveBatches).toBeLessThanOrEqual(prefetch + 1)
        // The look-ahead is real: while one batch is consumed the next one is being decoded.
        expect(stats.maxLiveBatches).toBeGreaterThanOrEqual(2)
        expect(stats.maxDecodesInFlight).toBeLessThanOrEqual(8)
        expect(stats.liveBatches).toBe(0)
      }
    }
  }, 120_000)

  it('serves the second epoch from the cache', async () => {
    const examples = await writeExamples(tempDir(), 30)
    const cache = new ExampleCache({ maxBytes: 1024 * 1024 })
    const first = createBatchStats()
    const epoch0 = await collect(examples, { ...base, cache, stats: first })
    expect(first).toMatchObject({ decoded: 30, cacheHits: 0 })
    const second = createBatchStats()
    const epoch1 = await collect(examples, { ...base, epoch: 1, cache, stats: second })
    expect(second).toMatchObject({ decoded: 0, cacheHits: 30 })
    expect(cache.stats).toMatchObject({ hits: 30, misses: 30, entries: 30, bytes: 30 * 4 * 4 * 3 })
    // Same pixels per image, in a different order.
    const byId = (result: Batch[]) => new Map(result.flatMap((batch) => batch.imageIds.map((id, row) => [id, levels(batch)[row]])))
    expect(byId(epoch1)).toEqual(byId(epoch0))
    expect(epoch1.flatMap((batch) => batch.imageIds)).not.toEqual(epoch0.flatMap((batch) => batch.imageIds))
  })

  it('stops promptly on abort, even with decodes still running, and starts no new ones', async () => {
    const examples = await writeExamples(tempDir(), 40)
    let calls = 0
    const slowDecode: BatchOptions['decode'] = async (path, shape) => {
      calls++
      await sleep(calls > 16 ? 10_000 : 1) // the second batch hangs
      return decodeExample(path, shape)
    }
    const controller = new AbortController()
    const iterator = batches(examples, { ...base, decode: slowDecode, signal: controller.signal, concurrency: 4 })
    expect((await iterator.next()).value?.size).toBe(16)
    const callsAtAbort = calls
    setTimeout(() => controller.abort(), 20)
    const start = performance.now()
    await expect(iterator.next()).rejects.toMatchObject({ name: 'AbortError' })
    expect(performance.now() - start).toBeLessThan(1000)
    await sleep(30)
    expect(calls).toBe(callsAtAbort)
    // An already-aborted signal refuses to start at all.
    await expect(collect(examples, { ...base, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('stops cleanly when the consumer leaves early', async () => {
    const examples = await writeExamples(tempDir(), 64)
    const stats = createBatchStats()
    for await (const batch of batches(examples, { ...base, stats })) {
      expect(batch.size).toBe(16)
      break
    }
    expect(stats.liveBatches).toBe(0)
  })

  it('ends the epoch with a DecodeError for an unreadable file, or skips it when asked to', async () => {
    const examples = await writeExamples(tempDir(), 10)
    examples[3] = { ...examples[3]!, path: `${examples[3]!.path}.missing` }
    await expect(collect(examples, { ...base, batchSize: 4 })).rejects.toBeInstanceOf(DecodeError)
    const skipped: number[] = []
    const result = await collect(examples, { ...base, batchSize: 4, onDecodeError: (_, example) => skipped.push(example.imageId) })
    expect(skipped).toEqual([4])
    const ids = result.flatMap((batch) => batch.imageIds)
    expect(ids.sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10])
    for (const batch of result) expect(levels(batch)).toEqual(batch.imageIds.map((id) => id - 1))
  })

  it('yields nothing for no examples and rejects bad options', async () => {
    expect(await collect([], base)).toEqual([])
    await expect(collect([], { ...base, batchSize: 0 })).rejects.toThrow(RangeError)
    await expect(collect([], { ...base, augment: { rotation: 400 } })).rejects.toThrow(/rotation/)
  })
})
