import type { InputShape } from '../../classifier/decode'

export const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024

export interface CacheStats {
  hits: number
  misses: number
  /** Entries dropped to stay under the byte limit. */
  evictions: number
  entries: number
  bytes: number
  maxBytes: number
}

/**
 * Decoded (not augmented) pixels by content hash and input shape, least recently used dropped
 * first, bounded by bytes rather than entries because a 224×224 RGB image is 49 times a 32×32 one.
 * Decoding (read + JPEG decode + resize) dominates an epoch's CPU time; a project whose decoded
 * pixels fit the budget decodes each file once per run instead of once per epoch. One that does not
 * fit gets few hits from an LRU over shuffled epochs — size the budget or leave the cache off.
 *
 * Stored arrays are shared: callers must treat what `get` returns as read-only.
 */
export class ExampleCache {
  readonly maxBytes: number
  // A Map iterates in insertion order; re-inserting on every hit makes its first key the LRU one.
  readonly #entries = new Map<string, Uint8Array>()
  #bytes = 0
  #hits = 0
  #misses = 0
  #evictions = 0

  constructor(options: { maxBytes?: number } = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_BYTES
    if (!(this.maxBytes >= 0)) throw new RangeError(`the cache size must be zero or more bytes, got ${this.maxBytes}`)
  }

  /**
   * The key of one image at one input shape. The content hash (not the path) means duplicates share
   * an entry and a file replaced in place is never served stale; without a hash, the path stands in.
   */
  static key(example: { contentHash: string | null; path: string }, shape: InputShape): string {
    const id = example.contentHash ?? `path:${example.path}`
    return `${id}|${shape.width}x${shape.height}x${shape.channels}`
  }

  /** Counts a hit or a miss. */
  get(key: string): Uint8Array | undefined {
    const pixels = this.#entries.get(key)
    if (pixels === undefined) {
      this.#misses++
      return undefined
    }
    this.#hits++
    this.#entries.delete(key)
    this.#entries.set(key, pixels)
    return pixels
  }

  /** Stores pixels, evicting the least recently used; an entry larger than the whole budget is not kept. */
  set(key: string, pixels: Uint8Array): void {
    const previous = this.#entries.get(key)
    if (previous !== undefined) {
      this.#entries.delete(key)
      this.#bytes -= previous.byteLength
    }
    if (pixels.byteLength > this.maxBytes) return
    while (this.#bytes + pixels.byteLength > this.maxBytes) {
      const oldest = this.#entries.keys().next()
      if (oldest.done) break
      this.#bytes -= this.#entries.get(oldest.value)!.byteLength
      this.#entries.delete(oldest.value)
      this.#evictions++
    }
    this.#entries.set(key, pixels)
    this.#bytes += pixels.byteLength
  }

  has(key: string): boolean {
    return this.#entries.has(key)
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  get stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      entries: this.#entries.size,
      bytes: this.#bytes,
      maxBytes: this.maxBytes
    }
  }
}
