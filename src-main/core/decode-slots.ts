/**
 * A counting semaphore with a bounded queue, for decodes that must not all run at once (large
 * previews, rebuilt thumbnails): `take` answers a release function, or null when the queue is full.
 */
export class DecodeSlots {
  #running = 0
  readonly #queue: (() => void)[] = []

  constructor(
    readonly size: number,
    readonly waiting: number
  ) {}

  async take(): Promise<(() => void) | null> {
    if (this.#running >= this.size) {
      if (this.#queue.length >= this.waiting) return null
      await new Promise<void>((resolve) => this.#queue.push(resolve))
    } else {
      this.#running++
    }
    let released = false
    return () => {
      if (released) return
      released = true
      // The slot passes straight to the next waiter, so the count never dips and nobody jumps the queue.
      const next = this.#queue.shift()
      if (next) next()
      else this.#running--
    }
  }
}
