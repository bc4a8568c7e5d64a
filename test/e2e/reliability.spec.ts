import { spawn } from 'node:child_process'
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { expect, startBrowserMode, test } from './fixtures'

// Issue 13 in the browser: a bare project name goes to the default folder, a damaged project is
// refused with a way to restore a backup, and a read-only project says so.

const ROOT = join(import.meta.dirname, '..', '..')

/** 4 KB of garbage over one page of a closed project (see test/helpers/damage.ts). */
function damagePage(path: string, page: number): void {
  const garbage = Buffer.alloc(4096, 0x5a)
  const fd = openSync(path, 'r+')
  writeSync(fd, garbage, 0, garbage.length, (page - 1) * 4096)
  closeSync(fd)
}

test('a bare project name is created in the default folder, which the form shows', async ({ page }) => {
  const workDir = mkdtempSync(join(tmpdir(), 'pictor-e2e-'))
  const projectsDir = join(workDir, 'home', 'Pictor')
  const app = await startBrowserMode(workDir, 0, { PICTOR_PROJECTS_DIR: projectsDir })
  try {
    await page.goto(app.url)
    await page.getByLabel('Project file path').fill('flowers')
    await expect(page.getByTestId('create-target')).toContainText(join(projectsDir, 'flowers.pictor'))
    await page.getByRole('button', { name: 'Create project' }).click()
    await expect(page.getByTestId('library-empty')).toBeVisible()
    await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText(join(projectsDir, 'flowers.pictor'))
    expect(existsSync(join(projectsDir, 'flowers.pictor'))).toBe(true)
    // Nothing landed in the folder the server was started in.
    expect(readdirSync(workDir).filter((name) => name.endsWith('.pictor'))).toEqual([])
  } finally {
    await app.stop()
    rmSync(workDir, { recursive: true, force: true })
  }
})

test('a damaged project is refused with its backups, and one is restored from the page', async ({ app, page, playwright }) => {
  const api = await playwright.request.newContext({ baseURL: app.origin, extraHTTPHeaders: { authorization: `Bearer ${app.token}` } })
  const call = async (method: string, data: object) => (await api.post(`/api/call/${method}`, { data })).json()
  const path = join(app.workDir, 'garden.pictor')
  await page.goto(app.url)
  await page.getByLabel('Project file path').fill(path)
  await page.getByRole('button', { name: 'Create project' }).click()
  await expect(page.getByTestId('library-empty')).toBeVisible()
  // The first regular backup of an open project comes a few seconds after it opens.
  await expect.poll(async () => (await call('backups.list', { path })).value.length, { timeout: 20_000 }).toBe(1)
  await page.getByRole('button', { name: 'Close project' }).click()
  await expect(page.getByRole('heading', { name: 'Pictor', level: 1 })).toBeVisible()
  damagePage(path, 6)

  await page.getByLabel('Existing project path').fill(path)
  await page.getByRole('button', { name: 'Open project' }).click()
  const alert = page.getByRole('alert')
  await expect(alert).toContainText('damaged')
  await expect(alert).toContainText('backup')
  await alert.getByRole('button', { name: 'Restore a backup…' }).click()
  await page.getByRole('button', { name: /^Restore the backup of / }).click()

  await expect(page.getByTestId('library-empty')).toBeVisible()
  await expect(page.getByText('The replaced file is kept as')).toBeVisible()
  expect(readdirSync(app.workDir).filter((name) => name.startsWith('garden.replaced-'))).toHaveLength(1)

  // The same list is in the project menu, and restoring the open project closes and reopens it.
  await page.getByRole('button', { name: 'Backups…' }).click()
  const restore = page.getByRole('region', { name: 'Backups' }).getByRole('button', { name: /^Restore the backup of / })
  await expect(restore).toHaveCount(1)
  await restore.click()
  await expect(page.getByTestId('library-empty')).toBeVisible()
  await expect.poll(() => readdirSync(app.workDir).filter((name) => /^garden\.replaced-.*\.pictor$/.test(name)).length).toBe(2)
  await api.dispose()
})

test('a read-only project opens with a visible read-only notice', async ({ page }) => {
  test.skip(process.getuid?.() !== 0, 'runs the server as the unprivileged user nobody, which needs root; elsewhere file modes already apply to the test user and the unit tests cover it')
  const workDir = mkdtempSync(join(tmpdir(), 'pictor-e2e-'))
  chmodSync(workDir, 0o755)
  const dataDir = join(workDir, 'data')
  mkdirSync(dataDir)
  chownSync(dataDir, 65534, 65534)
  const path = join(workDir, 'shared.pictor')
  const maker = await startBrowserMode(mkdtempSync(join(tmpdir(), 'pictor-e2e-maker-')))
  const made = await fetch(`${maker.origin}/api/call/project.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${maker.token}` },
    body: JSON.stringify({ path })
  })
  expect(((await made.json()) as { ok: boolean }).ok).toBe(true)
  await maker.stop()
  chmodSync(path, 0o444)

  const child = spawn(process.execPath, [join(ROOT, 'bin', 'pictor.js'), 'ui', '--port', '0', '--project', path], {
    cwd: workDir,
    env: { ...process.env, PICTOR_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: 65534,
    gid: 65534
  })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(line)
        if (match) resolve(match[1]!)
      })
      child.once('exit', (code) => reject(new Error(`pictor ui exited with ${code}`)))
    })
    await page.goto(url)
    await expect(page.getByTestId('read-only')).toHaveText('Read-only')
    await expect(page.getByTestId('read-only-note')).toContainText('changes are refused')
    expect(readdirSync(workDir).sort()).toEqual(['data', 'shared.pictor'])
  } finally {
    child.kill('SIGTERM')
    rmSync(workDir, { recursive: true, force: true })
  }
})
