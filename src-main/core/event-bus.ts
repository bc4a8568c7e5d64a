import type { EventMap, EventName, PushEvent } from '../contract/events'

export type EventListener = (event: PushEvent) => void

/** Fan-out of push events to every connected transport (IPC windows, browser-mode streams). */
export class EventBus {
  readonly #listeners = new Set<EventListener>()

  emit<E extends EventName>(name: E, payload: EventMap[E]): void {
    const event = { name, payload } as PushEvent
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch (error) {
        // One broken subscriber (a closed socket, a destroyed window) must not starve the others.
        console.error('[pictor] event listener failed:', error)
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  get listenerCount(): number {
    return this.#listeners.size
  }
}
