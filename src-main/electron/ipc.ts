import { ipcMain, webContents, type IpcMainInvokeEvent } from 'electron'
import { fail } from '../contract/envelope'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../contract/bridge'
import type { Services } from '../services/services'

/**
 * The Electron transport of the contract: one invoke channel in, one event channel out. Calls from
 * any frame that is not our own renderer (an iframe, a page navigated elsewhere) are refused.
 */
export function serveContractOverIpc(services: Services, isTrustedUrl: (url: string) => boolean): () => void {
  ipcMain.handle(IPC_CALL_CHANNEL, (event: IpcMainInvokeEvent, method: unknown, request: unknown) => {
    const url = event.senderFrame?.url ?? ''
    if (!isTrustedUrl(url)) return fail('UNAUTHORIZED', 'calls are only accepted from the Pictor window')
    return services.dispatch(String(method), request)
  })
  const unsubscribe = services.events.subscribe((event) => {
    for (const contents of webContents.getAllWebContents()) {
      if (!contents.isDestroyed() && isTrustedUrl(contents.getURL())) contents.send(IPC_EVENT_CHANNEL, event)
    }
  })
  return () => {
    unsubscribe()
    ipcMain.removeHandler(IPC_CALL_CHANNEL)
  }
}
