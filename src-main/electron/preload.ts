import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type PictorBridge } from '../contract/bridge'
import type { Envelope } from '../contract/envelope'
import type { PushEvent } from '../contract/events'

// The whole surface the renderer gets: a call and an event subscription. ipcRenderer never leaks.
const bridge = {
  transport: 'electron',
  call: (method: string, request: unknown) =>
    ipcRenderer.invoke(IPC_CALL_CHANNEL, method, request) as Promise<Envelope<unknown>>,
  onEvent: (listener: (event: PushEvent) => void) => {
    const forward = (_event: IpcRendererEvent, payload: PushEvent) => listener(payload)
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward)
    return () => {
      ipcRenderer.off(IPC_EVENT_CHANNEL, forward)
    }
  }
} satisfies PictorBridge

contextBridge.exposeInMainWorld('pictor', bridge)
