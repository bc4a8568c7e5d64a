import { availableParallelism } from 'node:os'

/**
 * Gradient workers for a data-parallel CNN run: `PICTOR_TRAIN_WORKERS` when set (a whole number ≥ 1),
 * else one per core. One means no workers: the plain local step on the training thread.
 */
export function trainWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.PICTOR_TRAIN_WORKERS?.trim()
  if (set) {
    const count = Number(set)
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`PICTOR_TRAIN_WORKERS must be a whole number ≥ 1, got ${set}`)
    return count
  }
  return availableParallelism()
}
