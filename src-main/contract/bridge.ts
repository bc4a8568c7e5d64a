import type { Envelope } from './envelope'
import type { PushEvent } from './events'

// What the Electron preload exposes on `window.pictor`: two functions, never ipcRenderer itself.
export interface PictorBridge {
  readonly transport: 'electron'
  call(method: string, request: unknown): Promise<Envelope<unknown>>
  /** Returns an unsubscribe function. */
  onEvent(listener: (event: PushEvent) => void): () => void
}

export const IPC_CALL_CHANNEL = 'pictor:call'
export const IPC_EVENT_CHANNEL = 'pictor:event'
