import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { RecentProjects } from '../../src-main/services/recent-projects'
import { useTempDir } from '../helpers/temp-dir'

const tempDir = useTempDir()

const dataDir = (): string => join(tempDir(), 'data')
const storeFile = (): string => join(dataDir(), 'recent-projects.json')

/** A real file the list can point at, so `exists` is true. */
function project(name: string): string {
  const path = join(tempDir(), `${name}.pictor`)
  writeFileSync(path, 'x')
  return path
}

describe('RecentProjects', () => {
  it('starts empty when the data folder does not exist yet', async () => {
    expect(await new RecentProjects(dataDir()).list()).toEqual([])
    expect(existsSync(dataDir())).toBe(false)
  })

  it('lists projects newest first and creates the data folder on first write', async () => {
    const recent = new RecentProjects(dataDir())
    const a = project('a')
    const b = project('b')
    await recent.remember({ path: a, name: 'A' }, 1000)
    await recent.remember({ path: b, name: 'B' }, 2000)
    expect(await recent.list()).toEqual([
      { path: b, name: 'B', openedAt: 2000, exists: true },
      { path: a, name: 'A', openedAt: 1000, exists: true }
    ])
    expect(existsSync(storeFile())).toBe(true)
  })

  it('persists across instances (it is the file, not memory)', async () => {
    const a = project('a')
    await new RecentProjects(dataDir()).remember({ path: a, name: 'A' }, 5)
    expect(await new RecentProjects(dataDir()).list()).toEqual([{ path: a, name: 'A', openedAt: 5, exists: true }])
  })

  it('de-duplicates by resolved path, moving a reopened project to the top with its new name', async () => {
    const recent = new RecentProjects(dataDir())
    const a = project('a')
    const b = project('b')
    await recent.remember({ path: a, name: 'A' }, 1)
    await recent.remember({ path: b, name: 'B' }, 2)
    // The same file reached through a different spelling of its path.
    const roundabout = join(tempDir(), 'sub', '..', '.', 'a.pictor')
    expect(resolve(roundabout)).toBe(a)
    await recent.remember({ path: roundabout, name: 'A renamed' }, 3)
    const list = await recent.list()
    expect(list.map((entry) => [entry.path, entry.name])).toEqual([
      [a, 'A renamed'],
      [b, 'B']
    ])
  })

  it('stores resolved absolute paths even when given relative ones', async () => {
    const recent = new RecentProjects(dataDir())
    await recent.remember({ path: 'relative/thing.pictor', name: 'R' }, 1)
    const [entry] = await recent.list()
    expect(entry?.path).toBe(resolve('relative/thing.pictor'))
    expect(entry?.exists).toBe(false)
  })

  it('keeps at most 12 entries, dropping the oldest', async () => {
    const recent = new RecentProjects(dataDir())
    for (let i = 0; i < 15; i++) await recent.remember({ path: join(tempDir(), `p${i}.pictor`), name: `P${i}` }, i)
    const list = await recent.list()
    expect(list).toHaveLength(12)
    expect(list[0]?.name).toBe('P14')
    expect(list.at(-1)?.name).toBe('P3')
    expect(list.map((entry) => entry.openedAt)).toEqual([...list.map((entry) => entry.openedAt)].sort((x, y) => y - x))
  })

  it('reports exists: false once the file is deleted, without dropping the entry', async () => {
    const recent = new RecentProjects(dataDir())
    const a = project('a')
    await recent.remember({ path: a, name: 'A' }, 1)
    expect((await recent.list())[0]?.exists).toBe(true)
    rmSync(a)
    expect(await recent.list()).toEqual([{ path: a, name: 'A', openedAt: 1, exists: false }])
  })

  it('survives a corrupt JSON file, and the next write replaces it with valid JSON', async () => {
    const recent = new RecentProjects(dataDir())
    const a = project('a')
    await recent.remember({ path: a, name: 'A' }, 1)
    writeFileSync(storeFile(), '{"this is": [not json')
    expect(await recent.list()).toEqual([])
    await recent.remember({ path: a, name: 'A' }, 2)
    expect(JSON.parse(readFileSync(storeFile(), 'utf8'))).toEqual([{ path: a, name: 'A', openedAt: 2 }])
  })

  it('survives JSON of the wrong shape, keeping only well-formed entries', async () => {
    const a = project('a')
    const recent = new RecentProjects(dataDir())
    await recent.remember({ path: a, name: 'seed' }, 0) // creates the folder
    writeFileSync(storeFile(), JSON.stringify({ not: 'an array' }))
    expect(await recent.list()).toEqual([])
    writeFileSync(
      storeFile(),
      JSON.stringify([null, 7, 'str', { path: a }, { path: 1, name: 'x', openedAt: 1 }, { path: a, name: 'A', openedAt: 9 }])
    )
    expect(await recent.list()).toEqual([{ path: a, name: 'A', openedAt: 9, exists: true }])
  })

  it('forget removes one entry by resolved path and keeps the rest', async () => {
    const recent = new RecentProjects(dataDir())
    const a = project('a')
    const b = project('b')
    await recent.remember({ path: a, name: 'A' }, 1)
    await recent.remember({ path: b, name: 'B' }, 2)
    await recent.forget(join(tempDir(), '.', 'a.pictor'))
    expect((await recent.list()).map((entry) => entry.path)).toEqual([b])
    await recent.forget(join(tempDir(), 'never-there.pictor'))
    expect((await recent.list()).map((entry) => entry.path)).toEqual([b])
    expect(existsSync(b)).toBe(true) // forgetting never deletes the project itself
  })

  it('leaves no temporary files behind after writes', async () => {
    const recent = new RecentProjects(dataDir())
    for (let i = 0; i < 3; i++) await recent.remember({ path: project(`t${i}`), name: `T${i}` }, i)
    await recent.forget(join(tempDir(), 't0.pictor'))
    expect(readdirSync(dataDir())).toEqual(['recent-projects.json'])
  })
})
