import { HttpConnection } from './http-connection'
import type { MainConnection } from './main-connection'

/** Electron's preload bridge when there is one (the desktop app), else HTTP (browser mode). */
export function connectToMain(): MainConnection {
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
  return new HttpConnection()
}
