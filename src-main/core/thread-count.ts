import { availableParallelism } from 'node:os'

/**
 * How many threads a pool gets: the environment variable `name` when set (a whole number ≥ `min`;
 * anything else is refused, not silently ignored), else `fallback(cores)`. One rule for every pool
 * Pictor sizes (import decode helpers, feature workers, gradient workers).
 */
export function threadCountFromEnv(
  name: string,
  { min = 1, fallback = (cores: number) => cores }: { min?: number; fallback?: (cores: number) => number } = {},
  env: NodeJS.ProcessEnv = process.env
): number {
  const set = env[name]?.trim()
  if (!set) return fallback(availableParallelism())
  const count = Number(set)
  if (!(Number.isInteger(count) && count >= min)) throw new RangeError(`${name} must be a whole number ≥ ${min}, got ${set}`)
  return count
}
