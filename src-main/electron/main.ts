import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, session } from 'electron'
import icon from '../../resources/icon.png?asset'
import { SQLITE_BINDING_ENV } from '../db/connection'
import { createServices, type Services } from '../services/services'
import { registerAppScheme, serveApp } from './app-protocol'
import { electronDialogs } from './dialogs'
import { serveContractOverIpc } from './ipc'
import { OpenRequests, projectPathFromArgs } from './open-with'
import { electronNativeBindingPath } from './native-binding'
import { windowOpenAnswer } from './report-window'
import { APP_ORIGIN, trustedUrlCheck } from './trusted-url'

const here = fileURLToPath(new URL('.', import.meta.url))
const rendererDir = join(here, '../renderer')
const preloadPath = join(here, '../preload/index.cjs')
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL

registerAppScheme()

// A `.pictor` file the app is asked to open (see open-with.ts): macOS may ask before `ready`.
const openRequests = new OpenRequests()
app.on('open-file', (event, path) => {
  event.preventDefault()
  openRequests.request(path)
})

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
  // Opening a project announces it (project.changed), so the window shows it whether it has loaded yet
  // or not; a file that cannot be opened says why in the window the user was looking at.
  openRequests.attach((path) => {
    void services.call('project.open', { path }).then((answer) => {
      if (!answer.ok) dialog.showErrorBox('Pictor could not open the project', `${path}\n\n${answer.error.message}`)
    })
  })
  openRequests.request(projectPathFromArgs(process.argv.slice(1), process.cwd()))
  app.on('second-instance', (_event, argv, workingDirectory) => {
    if (window.isMinimized()) window.restore()
    window.focus()
    openRequests.request(projectPathFromArgs(argv.slice(1), workingDirectory))
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
