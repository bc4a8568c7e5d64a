import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { threadCountFromEnv } from '../../src-main/core/thread-count'

// One rule for every thread pool's size: an environment variable when set, else a share of the cores.

describe('threadCountFromEnv', () => {
  it('takes the variable when set, else the fallback of the core count', () => {
    expect(threadCountFromEnv('N', {}, { N: ' 3 ' })).toBe(3)
    expect(threadCountFromEnv('N', {}, {})).toBe(availableParallelism())
    expect(threadCountFromEnv('N', { fallback: (cores) => Math.min(4, cores) + 100 }, { N: '' })).toBe(Math.min(4, availableParallelism()) + 100)
    // The import's decode helpers may be zero (decode on the import thread).
    expect(threadCountFromEnv('N', { min: 0 }, { N: '0' })).toBe(0)
  })

  it('refuses a value that is not a whole number at or above the minimum, naming the variable', () => {
    for (const bad of ['0', '-1', '1.5', 'two']) {
      expect(() => threadCountFromEnv('PICTOR_TRAIN_WORKERS', {}, { PICTOR_TRAIN_WORKERS: bad })).toThrow(`PICTOR_TRAIN_WORKERS must be a whole number ≥ 1, got ${bad}`)
    }
  })
})
