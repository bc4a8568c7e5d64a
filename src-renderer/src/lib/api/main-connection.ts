import type { Envelope } from '@contract/envelope'
import type { PushEvent } from '@contract/events'

/** How the renderer reaches main: Electron IPC through the preload, or HTTP in browser mode. */
export interface MainConnection {
  readonly kind: 'electron' | 'browser'
  call(method: string, request: unknown): Promise<Envelope<unknown>>
  onEvent(listener: (event: PushEvent) => void): () => void
  /** False while browser mode's event stream is down (the server stopped or restarted). */
  readonly connected: boolean
  onConnectionChange(listener: (connected: boolean) => void): () => void
}
