// Which windows a page may open: only a run's report (`app://pictor/reports/<id>`, "Open report"),
// in a child window as locked down as the main one and more: no preload (it never calls the
// contract) and no JavaScript at all (the report has none; its own CSP forbids it too). Everything
// else stays denied. Free of runtime `electron` imports so it is unit-tested under plain Node.
import type { BrowserWindowConstructorOptions } from 'electron'
import { REPORT_ROUTE_PREFIX } from '../contract/report'
import { APP_HOST, APP_SCHEME } from './trusted-url'

const REPORT_PATH = new RegExp(`^${REPORT_ROUTE_PREFIX}[1-9]\\d{0,15}$`)

/** True for app://pictor/reports/<run id> exactly: no user, port, query or fragment. */
export function isReportWindowUrl(text: string): boolean {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return false
  }
  return (
    url.protocol === `${APP_SCHEME}:` &&
    url.host === APP_HOST &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    REPORT_PATH.test(url.pathname)
  )
}

export type WindowOpenAnswer = { action: 'deny' } | { action: 'allow'; overrideBrowserWindowOptions: BrowserWindowConstructorOptions }

/** The answer for setWindowOpenHandler. */
export function windowOpenAnswer(url: string): WindowOpenAnswer {
  if (!isReportWindowUrl(url)) return { action: 'deny' }
  return {
    action: 'allow',
    overrideBrowserWindowOptions: {
      width: 1000,
      height: 800,
      title: 'Pictor report',
      backgroundColor: '#ffffff',
      autoHideMenuBar: true,
      webPreferences: {
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        javascript: false,
        spellcheck: false
      }
    }
  }
}
