import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from './fixtures'
import { createAndImport, makeRedBlueFolder, trainCnn } from './project-setup'

// Issue 17: the Report button on a run writes one self-contained HTML file (evaluating the run first
// when it never was), which opens in a tab of its own, runs no script and loads nothing else, prints
// from a hidden frame (the browser's dialog offers Save as PDF), and can be saved elsewhere.

interface PrintProbe {
  printed: string[]
}

test('a run report: written from the run list, opened with no script and no other request, printed, saved elsewhere', async ({ app, page }, testInfo) => {
  test.setTimeout(240_000)
  const folder = join(app.workDir, 'photos')
  await makeRedBlueFolder(folder, 20, 32)
  const project = join(app.workDir, 'colours.pictor')
  await createAndImport(page, app.url, project, folder, 40)
  await trainCnn(page, 1, 3, 120_000)

  const row = page.getByTestId('run-1')
  await row.getByRole('button', { name: 'Report', exact: true }).click()
  const panel = page.getByTestId('run-report')
  await expect(panel.getByRole('link', { name: 'Open report' })).toBeVisible({ timeout: 90_000 })
  // Never evaluated, so the job evaluated it first, and says so.
  await expect(panel.getByTestId('report-written')).toContainText('the run was evaluated first')
  const reportPath = join(app.workDir, 'colours.runs', 'run-1', 'report.html')
  await expect(panel.locator('code').first()).toHaveText(reportPath)
  expect(readFileSync(reportPath, 'utf8')).not.toMatch(/<script/i)

  // Every request a page other than the app's makes (the report's tab), from its very first one.
  const requests: string[] = []
  page.context().on('request', (request) => {
    let fromApp: boolean
    try {
      fromApp = request.frame().page() === page
    } catch {
      // The navigation that creates a new tab comes before its frame: not the app's.
      fromApp = false
    }
    if (!fromApp) requests.push(request.url())
  })
  const [report] = await Promise.all([page.context().waitForEvent('page'), panel.getByRole('link', { name: 'Open report' }).click()])
  const problems: string[] = []
  report.on('console', (message) => problems.push(`console: ${message.text()}`))
  report.on('pageerror', (error) => problems.push(`error: ${error.message}`))
  await report.waitForLoadState('load')
  expect(new URL(report.url()).pathname).toBe('/reports/1')
  await expect(report.getByRole('heading', { level: 1 })).toContainText('run 1')
  for (const heading of ['1. Model', '3. Data card', '5. Metrics']) {
    await expect(report.getByRole('heading', { name: heading, exact: true })).toBeVisible()
  }
  await expect(report.getByRole('heading', { name: /^Confusion matrix/ }).first()).toBeVisible()
  await expect(report.getByRole('columnheader', { name: 'Precision', exact: true }).first()).toBeVisible()
  await expect(report.getByRole('cell', { name: 'red', exact: true }).first()).toBeVisible()

  // No script: none in the page, no inline handlers, and a policy that would refuse any.
  expect(await report.locator('script').count()).toBe(0)
  expect(await report.locator('[onload], [onerror], [onclick]').count()).toBe(0)
  const served = await page.request.get(`${app.origin}/reports/1`)
  expect(served.headers()['content-security-policy']).toBe("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
  await report.waitForTimeout(500)
  expect(requests.filter((url) => !url.startsWith('data:'))).toEqual([`${app.origin}/reports/1`])
  expect(problems).toEqual([])

  const screenshot = testInfo.outputPath('report.png')
  await report.screenshot({ path: screenshot, fullPage: true })
  await testInfo.attach('report', { path: screenshot, contentType: 'image/png' })
  await report.close()

  // Print: the browser's print dialog is stubbed on the hidden frame's window when the app reaches
  // for it; what matters is that the app printed the report's own page from a frame of its origin.
  await page.evaluate(() => {
    const probe = globalThis as unknown as PrintProbe & { HTMLIFrameElement: { prototype: object } }
    probe.printed = []
    const prototype = probe.HTMLIFrameElement.prototype
    const original = Object.getOwnPropertyDescriptor(prototype, 'contentWindow')!
    Object.defineProperty(prototype, 'contentWindow', {
      configurable: true,
      get() {
        const view = original.get!.call(this) as { print: () => void; location: { pathname: string }; document: { querySelector(s: string): { textContent: string } | null } } | null
        if (view) view.print = () => probe.printed.push(`${view.location.pathname} ${view.document.querySelector('h1')?.textContent ?? ''}`)
        return view
      }
    })
  })
  await panel.getByRole('button', { name: 'Print / Save as PDF' }).click()
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as PrintProbe).printed)).toEqual([expect.stringMatching(/^\/reports\/1 .*run 1/)])

  // Save as: a copy where the user says; the run's own report stays the one that opens.
  const copy = join(app.workDir, 'copy.html')
  await panel.getByRole('button', { name: 'Save as…' }).click()
  await panel.getByRole('textbox', { name: 'Save a copy as' }).fill(copy)
  await panel.getByRole('button', { name: 'Save', exact: true }).click()
  await expect(panel.getByText('Saved a copy')).toBeVisible({ timeout: 60_000 })
  await expect(panel.locator('code').nth(1)).toHaveText(copy)
  expect(existsSync(copy)).toBe(true)
  expect(readFileSync(copy, 'utf8')).toContain('<h1>')
  await panel.screenshot({ path: testInfo.outputPath('report-panel.png') })

  // Review offers the same panel on its run: the report written above opens at once, not written again.
  const written = readFileSync(reportPath, 'utf8')
  await page.keyboard.press('Control+5')
  await page.getByRole('button', { name: 'Report', exact: true }).click()
  const reviewPanel = page.getByTestId('run-report')
  await expect(reviewPanel.getByRole('link', { name: 'Open report' })).toHaveAttribute('href', '/reports/1')
  await expect(reviewPanel.locator('code').first()).toHaveText(reportPath)
  const jobs = (await (await page.request.post(`${app.origin}/api/call/jobs.list`, { data: {} })).json()) as { value: { kind: string }[] }
  expect(jobs.value.filter((job) => job.kind === 'report')).toHaveLength(2)
  expect(readFileSync(reportPath, 'utf8')).toBe(written)
})
