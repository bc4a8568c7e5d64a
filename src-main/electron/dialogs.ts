import { join } from 'node:path'
import { BrowserWindow, dialog, type OpenDialogOptions, type SaveDialogOptions } from 'electron'
import type { DialogProvider, PickOptions } from '../services/dialogs'

const PROJECT_FILTERS = [{ name: 'Pictor project', extensions: ['pictor'] }]

export function electronDialogs(): DialogProvider {
  const parent = () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
  const open = async (options: OpenDialogOptions): Promise<string | null> => {
    const window = parent()
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  }
  // The folder last chosen for the same purpose, when the services know one.
  const start = (options: PickOptions | undefined) => (options?.defaultPath ? { defaultPath: options.defaultPath } : {})
  return {
    pickProjectToOpen: (options) => open({ ...start(options), properties: ['openFile'], filters: PROJECT_FILTERS }),
    pickFolder: (options) => open({ ...start(options), properties: ['openDirectory', 'createDirectory'] }),
    pickFile: (options) =>
      open({
        ...start(options),
        properties: ['openFile'],
        ...(options?.extensions ? { filters: [{ name: options.extensions.map((ext) => `.${ext}`).join(', '), extensions: [...options.extensions] }] } : {})
      }),
    async pickProjectToCreate(options) {
      const window = parent()
      const defaultPath = options?.defaultPath ? join(options.defaultPath, 'Untitled.pictor') : 'Untitled.pictor'
      const saveOptions: SaveDialogOptions = { filters: PROJECT_FILTERS, defaultPath }
      const result = window ? await dialog.showSaveDialog(window, saveOptions) : await dialog.showSaveDialog(saveOptions)
      return result.canceled ? null : (result.filePath ?? null)
    }
  }
}
