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
  const save = async (options: SaveDialogOptions): Promise<string | null> => {
    const window = parent()
    const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options)
    return result.canceled ? null : (result.filePath ?? null)
  }
  const filters = (extensions: readonly string[] | undefined) =>
    extensions ? { filters: [{ name: extensions.map((ext) => `.${ext}`).join(', '), extensions: [...extensions] }] } : {}
  return {
    pickProjectToOpen: (options) => open({ ...start(options), properties: ['openFile'], filters: PROJECT_FILTERS }),
    pickFolder: (options) => open({ ...start(options), properties: ['openDirectory', 'createDirectory'] }),
    pickFile: (options) =>
      open({
        ...start(options),
        properties: ['openFile'],
        ...filters(options?.extensions)
      }),
    pickProjectToCreate: (options) =>
      save({ filters: PROJECT_FILTERS, defaultPath: options?.defaultPath ? join(options.defaultPath, 'Untitled.pictor') : 'Untitled.pictor' }),
    pickFileToSave: (options) => {
      const name = options?.name ?? ''
      return save({
        defaultPath: options?.defaultPath ? join(options.defaultPath, name) : name,
        ...filters(options?.extensions),
        // The dialog asks before a file is replaced (macOS and Windows always do).
        properties: ['showOverwriteConfirmation', 'createDirectory']
      })
    }
  }
}
