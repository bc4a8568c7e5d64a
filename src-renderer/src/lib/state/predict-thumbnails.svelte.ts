import { SvelteMap } from 'svelte/reactivity'

/** At most this many thumbnails are asked for at once: the server decodes two at a time anyway. */
const IN_FLIGHT = 2
/** Thumbnails kept as object URLs; older ones are released (a 10,000-row scroll must not hold 10,000). */
const KEEP = 400
const MAX_ATTEMPTS = 5

/**
 * Thumbnails of the files a prediction read (`/predicted/<jobId>/<row>.webp`), decoded by the server
 * on request through its bounded preview pool. Plain <img> tags would ask for every row a fast scroll
 * passes and get 503 beyond the pool's queue; this asks only for the rows on screen, a few at a time,
 * waits out a busy answer (Retry-After), and forgets rows scrolled away before their turn.
 */
export class PredictThumbnails {
  /** URL → object URL of the image, or null when there is none (unreadable, gone, outside the folder). */
  readonly #loaded = new SvelteMap<string, string | null>()
  #wanted = new Set<string>()
  #queue: string[] = []
  #inFlight = 0
  #attempts = new Map<string, number>()
  #disposed = false

  /** The object URL for `url`: undefined while loading, null when there is no thumbnail. */
  get(url: string): string | null | undefined {
    return this.#loaded.get(url)
  }

  /** The thumbnails on screen now, in order; any other waiting ones are dropped. */
  want(urls: readonly string[]): void {
    this.#wanted = new Set(urls)
    this.#queue = urls.filter((url) => !this.#loaded.has(url))
    this.#pump()
  }

  dispose(): void {
    this.#disposed = true
    this.#queue = []
    for (const url of this.#loaded.values()) if (url) URL.revokeObjectURL(url)
    this.#loaded.clear()
  }

  #pump(): void {
    while (this.#inFlight < IN_FLIGHT && this.#queue.length > 0 && !this.#disposed) {
      const url = this.#queue.shift()!
      if (this.#loaded.has(url)) continue
      this.#inFlight++
      void this.#fetch(url).finally(() => {
        this.#inFlight--
        this.#pump()
      })
    }
  }

  async #fetch(url: string): Promise<void> {
    const response = await fetch(url, { credentials: 'same-origin' }).catch(() => null)
    if (this.#disposed) return
    if (response?.status === 503) {
      const attempts = (this.#attempts.get(url) ?? 0) + 1
      this.#attempts.set(url, attempts)
      if (attempts >= MAX_ATTEMPTS) return this.#store(url, null)
      const seconds = Number(response.headers.get('retry-after')) || 1
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
      if (this.#wanted.has(url) && !this.#queue.includes(url)) this.#queue.push(url)
      return
    }
    if (!response?.ok) return this.#store(url, null)
    const blob = await response.blob().catch(() => null)
    if (this.#disposed) return
    this.#store(url, blob ? URL.createObjectURL(blob) : null)
  }

  #store(url: string, objectUrl: string | null): void {
    this.#loaded.set(url, objectUrl)
    // Oldest first: Map keeps insertion order. Rows on screen stay.
    let excess = this.#loaded.size - KEEP
    for (const [old, oldUrl] of [...this.#loaded]) {
      if (excess <= 0) break
      if (this.#wanted.has(old)) continue
      if (oldUrl) URL.revokeObjectURL(oldUrl)
      this.#loaded.delete(old)
      excess--
    }
  }
}
