import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ErrorCode } from '../../../src-main/contract/envelope'
import type { MethodName, RequestOf, ResponseOf } from '../../../src-main/contract/methods'
import { createServices, type Services } from '../../../src-main/services/services'
import { useTempDir } from '../../helpers/temp-dir'

// Issue 14, finding 9: paths were typed by hand everywhere. Browser mode gets a folder browser whose
// listing comes from the services (files.list), confined to the user's home and mounted volumes,
// hidden files off by default, no way out through a symbolic link; the folder chosen last for each
// purpose is where the next picker opens, across restarts.

describe('files.list and files.remember', () => {
  const temp = useTempDir('pictor-files-')
  let home: string
  let services: Services
  let savedHome: string | undefined

  beforeEach(() => {
    home = join(realpathSync(temp()), 'home')
    mkdirSync(home)
    savedHome = process.env.HOME
    // os.homedir() reads $HOME: the test's own home, so nothing of the real one is listed.
    process.env.HOME = home
    services = start()
  })
  afterEach(() => {
    services.close()
    process.env.HOME = savedHome
  })

  function start(): Services {
    return createServices({ dataDir: join(temp(), 'data'), transport: 'browser' })
  }

  async function value<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    const answer = await services.call(method, request)
    if (!answer.ok) throw new Error(`${method} failed: ${answer.error.code}: ${answer.error.message}`)
    return answer.value
  }

  async function failure<M extends MethodName>(method: M, request: RequestOf<M>, code: ErrorCode): Promise<string> {
    const answer = await services.call(method, request)
    expect(answer.ok, `${method} should have failed`).toBe(false)
    if (answer.ok) return ''
    expect(answer.error.code).toBe(code)
    return answer.error.message
  }

  function tree(): void {
    for (const folder of ['photos/flowers/rose', 'photos/flowers/tulip', 'photos/cars', 'photo 10', 'photo 9', '.cache/junk', 'models']) {
      mkdirSync(join(home, folder), { recursive: true })
    }
    writeFileSync(join(home, 'photos', 'notes.txt'), 'not a folder')
    writeFileSync(join(home, 'models', 'mobilenet.h5'), Buffer.alloc(2048))
    writeFileSync(join(home, 'models', 'MODEL.JSON'), '{}')
    writeFileSync(join(home, 'models', 'readme.md'), '# weights')
  }

  it('lists the folders of home by name, numbers in order, hidden ones left out and counted', async () => {
    tree()
    const listing = await value('files.list', { path: home })
    expect(listing.path).toBe(home)
    expect(listing.parent).toBeNull()
    expect(listing.entries.map((entry) => entry.name)).toEqual(['models', 'photo 9', 'photo 10', 'photos'])
    expect(listing.entries.every((entry) => entry.kind === 'folder' && entry.path === join(home, entry.name))).toBe(true)
    expect(listing.hidden).toBe(1)
    expect(listing.places[0]).toEqual({ name: 'Home', path: home })

    const withHidden = await value('files.list', { path: home, showHidden: true })
    expect(withHidden.entries.map((entry) => entry.name)).toContain('.cache')
    expect(withHidden.hidden).toBe(0)

    const photos = await value('files.list', { path: join(home, 'photos') })
    expect(photos.parent).toBe(home)
    // Folders only: notes.txt is not offered to a folder picker.
    expect(photos.entries.map((entry) => entry.name)).toEqual(['cars', 'flowers'])
  })

  it('lists files with the asked extensions (any case) beside folders, with their size', async () => {
    tree()
    const listing = await value('files.list', { path: join(home, 'models'), extensions: ['h5', 'json'] })
    expect(listing.entries).toEqual([
      { name: 'mobilenet.h5', path: join(home, 'models', 'mobilenet.h5'), kind: 'file', bytes: 2048 },
      { name: 'MODEL.JSON', path: join(home, 'models', 'MODEL.JSON'), kind: 'file', bytes: 2 }
    ])
    // Given a file, its folder is listed.
    const fromFile = await value('files.list', { path: join(home, 'models', 'mobilenet.h5'), extensions: ['h5'] })
    expect(fromFile.path).toBe(join(home, 'models'))
  })

  it('refuses folders outside home and the mounted volumes, and links that lead out', async () => {
    tree()
    const outside = join(realpathSync(temp()), 'outside')
    mkdirSync(join(outside, 'secret-folder'), { recursive: true })
    expect(await failure('files.list', { path: outside }, 'INVALID_REQUEST')).toContain('outside the folders Pictor browses')
    expect(await failure('files.list', { path: '/etc' }, 'INVALID_REQUEST')).toContain('outside the folders Pictor browses')
    await failure('files.list', { path: '/proc/self' }, 'INVALID_REQUEST')
    await failure('files.list', { path: 'photos' }, 'INVALID_REQUEST')
    await failure('files.list', { path: join(home, 'photos', '..', '..', 'outside') }, 'INVALID_REQUEST')

    // A link inside home that leads out is neither shown nor a way through; one that stays inside is a folder.
    symlinkSync(outside, join(home, 'escape'))
    symlinkSync(join(home, 'photos', 'flowers'), join(home, 'flowers-link'))
    const listing = await value('files.list', { path: home })
    expect(listing.entries.map((entry) => entry.name)).not.toContain('escape')
    expect(listing.entries.find((entry) => entry.name === 'flowers-link')).toMatchObject({ kind: 'folder' })
    expect(await failure('files.list', { path: join(home, 'escape') }, 'INVALID_REQUEST')).toContain('outside')
    expect(await failure('files.list', { path: join(home, 'escape', 'secret-folder') }, 'INVALID_REQUEST')).toContain('outside')
    await failure('files.list', { path: join(home, 'not-there') }, 'NOT_FOUND')
  })

  it('opens where the same purpose was last left, across restarts, or the nearest folder still there', async () => {
    tree()
    // Nothing remembered yet: home.
    expect((await value('files.list', { purpose: 'import' })).path).toBe(home)
    await value('files.remember', { purpose: 'import', path: join(home, 'photos', 'flowers') })
    // A file remembers its folder.
    await value('files.remember', { purpose: 'weights', path: join(home, 'models', 'mobilenet.h5') })
    services.close()
    services = start()
    expect((await value('files.list', { purpose: 'import' })).path).toBe(join(home, 'photos', 'flowers'))
    expect((await value('files.list', { purpose: 'weights', extensions: ['h5'] })).path).toBe(join(home, 'models'))
    expect((await value('files.list', { purpose: 'export' })).path).toBe(home)
    // A purpose named like an Object method is just another purpose.
    expect((await value('files.list', { purpose: 'constructor' })).path).toBe(home)

    rmSync(join(home, 'photos', 'flowers'), { recursive: true })
    expect((await value('files.list', { purpose: 'import' })).path).toBe(join(home, 'photos'))
  })

  it('starts project pickers in the projects folder when it exists', async () => {
    const projects = join(home, 'Pictor')
    expect((await value('files.list', { purpose: 'project' })).path).toBe(home)
    mkdirSync(projects)
    const listing = await value('files.list', { purpose: 'project' })
    expect(listing.path).toBe(projects)
    expect(listing.parent).toBe(home)
    expect(listing.places.slice(0, 2)).toEqual([
      { name: 'Home', path: home },
      { name: 'Pictor projects', path: projects }
    ])
  })
})
