import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, session } from 'electron'
import icon from '../../resources/icon.png?asset'
import { SQLITE_BINDING_ENV } from '../db/connection'
import { createServices, type Services } from '../services/services'
import { registerAppScheme, serveApp } from './app-protocol'
import { electronDialogs } from './dialogs'
import { serveContractOverIpc } from './ipc'
import { electronNativeBindingPath } from './native-binding'
import { windowOpenAnswer } from './report-window'
import { APP_ORIGIN, trustedUrlCheck } from './trusted-url'

const here = fileURLToPath(new URL('.', import.meta.url))
const rendererDir = join(here, '../renderer')
const preloadPath = join(here, '../preload/index.cjs')
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL

registerAppScheme()

const isTrustedUrl = trustedUrlCheck(devServerUrl)

function hardenWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isTrustedUrl(url)) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
    // Only "Open report" may open a window (report-window.ts); every other request is denied.
    contents.setWindowOpenHandler(({ url }) => windowOpenAnswer(url))
  })
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Pictor',
    backgroundColor: '#14161a',
    icon,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  window.once('ready-to-show', () => window.show())
  void window.loadURL(devServerUrl ?? `${APP_ORIGIN}/`)
  return window
}

async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  // In a source checkout, better-sqlite3 in node_modules is built for Node; use the Electron build.
  const binding = app.isPackaged ? undefined : electronNativeBindingPath(app.getAppPath(), process.versions.electron)
  if (binding && existsSync(binding)) process.env[SQLITE_BINDING_ENV] = binding

  await app.whenReady()
  hardenWebContents()
  const services: Services = createServices({
    dataDir: process.env.PICTOR_DATA_DIR ?? app.getPath('userData'),
    transport: 'electron',
    dialogs: electronDialogs()
  })
  serveApp(rendererDir, services.thumbnails, services.session, services.predictions)
  const stopIpc = serveContractOverIpc(services, isTrustedUrl)

  let window = createWindow()
  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore()
    window.focus()
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) window = createWindow()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('will-quit', () => {
    stopIpc()
    services.close()
  })
}

void start()
