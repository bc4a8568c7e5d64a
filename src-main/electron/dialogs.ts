import { BrowserWindow, dialog } from 'electron'
import type { DialogProvider } from '../services/dialogs'

const PROJECT_FILTERS = [{ name: 'Pictor project', extensions: ['pictor'] }]

export function electronDialogs(): DialogProvider {
  const parent = () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
  return {
    async pickProjectToOpen() {
      const window = parent()
      const options = { properties: ['openFile' as const], filters: PROJECT_FILTERS }
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
    async pickFolder() {
      const window = parent()
      const options = { properties: ['openDirectory' as const] }
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
    async pickProjectToCreate() {
      const window = parent()
      const options = { filters: PROJECT_FILTERS, defaultPath: 'Untitled.pictor' }
      const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options)
      return result.canceled ? null : (result.filePath ?? null)
    }
  }
}
