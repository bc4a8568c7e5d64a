import type { ThumbnailStore } from './thumbnail-store'

/**
 * Thumbnail writes started as soon as a file is analysed but awaited only when its batch is
 * committed: a decode lane goes straight on to its next file instead of waiting for three or four
 * file-system round trips, and a committed 'ok' row still always has its thumbnail on disk.
 */
export class ThumbnailWrites {
  #pending: Promise<void>[] = []
  /** Hashes written or being written by this import: a duplicate file never writes twice. */
  readonly #started = new Set<string>()
  #failure: unknown = null

  constructor(readonly store: ThumbnailStore) {}

  /** Starts writing unless this import already did or the store has it (a re-scan, another project). */
  start(contentHash: string, webp: Uint8Array): void {
    if (this.#started.has(contentHash)) return
    this.#started.add(contentHash)
    if (this.store.has(contentHash)) return
    this.#pending.push(
      this.store.write(contentHash, webp).catch((error: unknown) => {
        this.#failure ??= error
      })
    )
  }

  /** The first failure so far, so lanes stop early instead of decoding files that cannot be kept. */
  get failure(): unknown {
    return this.#failure
  }

  /** Waits for every write started so far; throws the first failure (not any one image's fault). */
  async settle(): Promise<void> {
    const pending = this.#pending
    this.#pending = []
    await Promise.all(pending)
    if (this.#failure !== null) throw this.#failure
  }
}
