import type { Envelope } from '@contract/envelope'
import type { PushEvent } from '@contract/events'
import { HttpTransport } from './http-transport'

/** How the renderer reaches main: Electron IPC through the preload, or HTTP in browser mode. */
export interface Transport {
  readonly kind: 'electron' | 'browser'
  call(method: string, request: unknown): Promise<Envelope<unknown>>
  onEvent(listener: (event: PushEvent) => void): () => void
  /** False while browser mode's event stream is down (the server stopped or restarted). */
  readonly connected: boolean
  onConnectionChange(listener: (connected: boolean) => void): () => void
}

export function chooseTransport(): Transport {
  const bridge = window.pictor
  if (bridge) {
    return {
      kind: 'electron',
      call: (method, request) => bridge.call(method, request),
      onEvent: (listener) => bridge.onEvent(listener),
      connected: true,
      onConnectionChange: () => () => {}
    }
  }
  return new HttpTransport()
}
