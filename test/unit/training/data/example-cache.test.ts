import { describe, expect, it } from 'vitest'
import { DEFAULT_CACHE_BYTES, ExampleCache } from '../../../../src-main/training/data/example-cache'

const pixels = (bytes: number, fill = 1) => new Uint8Array(bytes).fill(fill)

describe('ExampleCache', () => {
  it('keys by content hash and input shape, falling back to the path', () => {
    const shape = { width: 32, height: 32, channels: 3 as const }
    expect(ExampleCache.key({ contentHash: 'abc', path: '/a.jpg' }, shape)).toBe(ExampleCache.key({ contentHash: 'abc', path: '/copy.jpg' }, shape))
    expect(ExampleCache.key({ contentHash: 'abc', path: '/a.jpg' }, shape)).not.toBe(ExampleCache.key({ contentHash: 'abc', path: '/a.jpg' }, { ...shape, channels: 1 }))
    expect(ExampleCache.key({ contentHash: null, path: '/a.jpg' }, shape)).toContain('/a.jpg')
  })

  it('stays under its byte budget, dropping the least recently used first, and counts hits and misses', () => {
    const cache = new ExampleCache({ maxBytes: 300 })
    cache.set('a', pixels(100))
    cache.set('b', pixels(100))
    cache.set('c', pixels(100))
    expect(cache.get('a')).toBeDefined() // a is now the most recent; b the least
    cache.set('d', pixels(100))
    expect(cache.has('b')).toBe(false)
    expect(['a', 'c', 'd'].every((key) => cache.has(key))).toBe(true)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.stats).toEqual({ hits: 1, misses: 1, evictions: 1, entries: 3, bytes: 300, maxBytes: 300 })

    // Replacing an entry re-counts its bytes; one larger than the budget is simply not kept.
    cache.set('a', pixels(50, 7))
    expect(cache.stats.bytes).toBe(250)
    expect(cache.get('a')![0]).toBe(7)
    cache.set('huge', pixels(301))
    expect(cache.has('huge')).toBe(false)
    expect(cache.stats.bytes).toBe(250)
    cache.clear()
    expect(cache.stats).toMatchObject({ entries: 0, bytes: 0 })
  })

  it('defaults to 512 MiB and refuses a negative budget', () => {
    expect(new ExampleCache().maxBytes).toBe(DEFAULT_CACHE_BYTES)
    expect(DEFAULT_CACHE_BYTES).toBe(512 * 1024 * 1024)
    expect(() => new ExampleCache({ maxBytes: -1 })).toThrow(RangeError)
  })
})
