import { describe, expect, it } from 'vitest'
import { isReportWindowUrl, windowOpenAnswer } from '../../../src-main/electron/report-window'

// "Open report" is the one window a page of the app may open: app://pictor/reports/<run id>, in a
// child window with no preload and no JavaScript. Anything else a page (or a report) asks to open
// is denied, as before.

describe('windowOpenAnswer', () => {
  it.each(['app://pictor/reports/1', 'app://pictor/reports/1234'])('opens %s in a locked-down child window', (url) => {
    const answer = windowOpenAnswer(url)
    expect(answer.action).toBe('allow')
    const preferences = answer.action === 'allow' ? answer.overrideBrowserWindowOptions.webPreferences : undefined
    expect(preferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, javascript: false })
    expect(preferences).not.toHaveProperty('preload')
  })

  it.each([
    'app://pictor/',
    'app://pictor/reports/',
    'app://pictor/reports/0',
    'app://pictor/reports/01',
    'app://pictor/reports/1/x',
    'app://pictor/reports/1?print=1',
    'app://pictor/reports/1#top',
    'app://pictor/reports/..%2fthumbs',
    'app://pictor:8080/reports/1',
    'app://user@pictor/reports/1',
    'app://pictor.evil.com/reports/1',
    'http://127.0.0.1:5173/reports/1',
    'https://example.com/reports/1',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'about:blank',
    'not a url'
  ])('denies %s', (url) => {
    expect(isReportWindowUrl(url)).toBe(false)
    expect(windowOpenAnswer(url)).toEqual({ action: 'deny' })
  })
})
