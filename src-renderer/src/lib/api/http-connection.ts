import type { Envelope } from '@contract/envelope'
import type { PushEvent } from '@contract/events'
import type { MainConnection } from './main-connection'

/**
 * Browser mode: POST /api/call/<method> and a server-sent event stream. The session cookie set by
 * the token URL authenticates both; the page never sees the token itself.
 */
export class HttpConnection implements MainConnection {
  readonly kind = 'browser'
  #events: EventSource | null = null
  #eventListeners = new Set<(event: PushEvent) => void>()
  #connectionListeners = new Set<(connected: boolean) => void>()
  #connected = true

  get connected(): boolean {
    return this.#connected
  }

  async call(method: string, request: unknown): Promise<Envelope<unknown>> {
    let response: Response
    try {
      response = await fetch(`/api/call/${encodeURIComponent(method)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request ?? {}),
        credentials: 'same-origin'
      })
    } catch {
      return {
        ok: false,
        error: { code: 'IO_ERROR', message: 'lost the connection to Pictor: is `pictor ui` still running?' }
      }
    }
    try {
      return (await response.json()) as Envelope<unknown>
    } catch {
      return { ok: false, error: { code: 'INTERNAL', message: `unexpected answer from Pictor (HTTP ${response.status})` } }
    }
  }

  onEvent(listener: (event: PushEvent) => void): () => void {
    this.#eventListeners.add(listener)
    this.#ensureStream()
    return () => this.#eventListeners.delete(listener)
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.#connectionListeners.add(listener)
    return () => this.#connectionListeners.delete(listener)
  }

  #ensureStream(): void {
    if (this.#events) return
    const source = new EventSource('/api/events', { withCredentials: true })
    source.onmessage = (message) => {
      const event = JSON.parse(message.data) as PushEvent
      for (const listener of this.#eventListeners) listener(event)
    }
    // EventSource reconnects by itself; we only report the state.
    source.onopen = () => this.#setConnected(true)
    source.onerror = () => this.#setConnected(false)
    this.#events = source
  }

  #setConnected(connected: boolean): void {
    if (connected === this.#connected) return
    this.#connected = connected
    for (const listener of this.#connectionListeners) listener(connected)
  }
}
