import { threadCountFromEnv } from '../../core/thread-count'

/**
 * Gradient workers for a data-parallel CNN run: `PICTOR_TRAIN_WORKERS` when set (a whole number ≥ 1),
 * else one per core. One means no workers: the plain local step on the training thread.
 */
export function trainWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  return threadCountFromEnv('PICTOR_TRAIN_WORKERS', {}, env)
}
