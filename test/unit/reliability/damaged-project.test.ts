import { readFileSync, statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Envelope } from '../../../src-main/contract/envelope'
import { createServices, type Services } from '../../../src-main/services/services'
import { damagePage } from '../../helpers/damage'
import { errorLines, runPictor } from '../../helpers/pictor-process'
import { useTempDir } from '../../helpers/temp-dir'

// Issue 13, defect 4: 4 KB of garbage in page 6 and `pictor info` showed a normal summary; the
// import failed later with "database disk image is malformed". A damaged project is refused on open
// with CORRUPT_PROJECT and what to do about it.

const tempDir = useTempDir()
const opened: Services[] = []
afterEach(() => {
  for (const services of opened.splice(0)) services.close()
})

function services(dataDir = join(tempDir(), 'data')): Services {
  const made = createServices({ dataDir, transport: 'browser' })
  opened.push(made)
  return made
}

function errorOf(envelope: Envelope<unknown>): { code: string; message: string } {
  if (envelope.ok) throw new Error(`expected a failed envelope, got ${JSON.stringify(envelope)}`)
  return envelope.error
}

/** A project with a few classes, closed (its WAL folded into the file) by the app that made it. */
async function project(app: Services): Promise<string> {
  const path = join(tempDir(), 'garden.pictor')
  expect((await app.call('project.create', { path })).ok).toBe(true)
  for (const name of ['roses', 'tulips', 'daisies']) expect((await app.call('classes.create', { name })).ok).toBe(true)
  expect((await app.call('project.close', {})).ok).toBe(true)
  return path
}

describe('a damaged project', () => {
  it('is refused on open with CORRUPT_PROJECT and what to do, and left exactly as it was', async () => {
    const app = services()
    const path = await project(app)
    damagePage(path)
    const damaged = readFileSync(path)
    const error = errorOf(await app.dispatch('project.open', { path }))
    expect(error.code).toBe('CORRUPT_PROJECT')
    expect(error.message).toContain(path)
    expect(error.message).toMatch(/damaged/)
    expect(error.message).toMatch(/backup/)
    expect(readFileSync(path).equals(damaged)).toBe(true)
    expect(await app.call('project.current', {})).toEqual({ ok: true, value: null })
  })

  it('is refused by `pictor info` in one line, exit 1', async () => {
    const dataDir = join(tempDir(), 'data')
    const path = await project(services(dataDir))
    damagePage(path)
    const info = runPictor(['info', '--project', path], { dataDir })
    expect(info.status).toBe(1)
    expect(info.stdout).toBe('')
    expect(errorLines(info.stderr)).toHaveLength(1)
    expect(errorLines(info.stderr)[0]).toMatch(/^pictor info: CORRUPT_PROJECT: /)
  })

  it('is caught even when the damage kept the file’s size and time, on a computer that never checked it', async () => {
    const path = await project(services(join(tempDir(), 'made-here')))
    const { atime, mtime } = statSync(path)
    damagePage(path)
    utimesSync(path, atime, mtime)
    const elsewhere = services(join(tempDir(), 'another-computer'))
    expect(errorOf(await elsewhere.dispatch('project.open', { path })).code).toBe('CORRUPT_PROJECT')
  })

  it('is caught at the next open when it was damaged while Pictor had it open', async () => {
    const app = services()
    const path = await project(app)
    expect((await app.call('project.open', { path })).ok).toBe(true)
    damagePage(path) // another program, while the project is open
    expect((await app.call('project.close', {})).ok).toBe(true)
    expect(errorOf(await app.dispatch('project.open', { path })).code).toBe('CORRUPT_PROJECT')
  })

  it('still opens when healthy, however often it is opened and closed', async () => {
    const app = services()
    const path = await project(app)
    for (let round = 0; round < 3; round++) {
      expect(await app.call('project.open', { path })).toMatchObject({ ok: true })
      expect(await app.call('classes.list', {})).toMatchObject({ ok: true, value: [{ name: 'roses' }, { name: 'tulips' }, { name: 'daisies' }] })
      expect((await app.call('project.close', {})).ok).toBe(true)
    }
  })
})
