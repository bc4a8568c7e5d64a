// Splitting a global batch into contiguous shards, one per gradient worker.
import type { TensorBatch } from '../loop/train-loop'
import type { Shard } from './gradient-protocol'

/** `total` rows in at most `parts` shards whose sizes differ by at most one; no empty shard. */
export function shardSizes(total: number, parts: number): number[] {
  const count = Math.max(1, Math.min(parts, total))
  const base = Math.floor(total / count)
  return Array.from({ length: count }, (_, index) => base + (index < total % count ? 1 : 0))
}

/** The batch's rows as `parts` (or fewer) shards of plain arrays, each its own buffer (for transfer). */
export function shardBatch(batch: TensorBatch, parts: number): Shard[] {
  const [rows, height, width, channels] = batch.xs.shape
  const classes = batch.ys.shape[1]
  const xs = batch.xs.dataSync() as Float32Array
  const ys = batch.ys.dataSync() as Float32Array
  const weights = batch.weights ? (batch.weights.dataSync() as Float32Array) : undefined
  const pixels = height * width * channels
  const shards: Shard[] = []
  let start = 0
  for (const size of shardSizes(rows, parts)) {
    const end = start + size
    shards.push({
      size,
      xs: xs.slice(start * pixels, end * pixels),
      xsShape: [size, height, width, channels],
      ys: ys.slice(start * classes, end * classes),
      ysShape: [size, classes],
      ...(weights ? { weights: weights.slice(start, end) } : {})
    })
    start = end
  }
  return shards
}
