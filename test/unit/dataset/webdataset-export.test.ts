import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { exportDataset, type DatasetExportInput, type DatasetExportResult } from '../../../src-main/dataset/dataset-export'
import { tarHeader } from '../../../src-main/dataset/tar-writer'
import type { ProgressUpdate } from '../../../src-main/jobs/job'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, listFiles, projectCounts, QUOTED, type DatasetProject } from './dataset-project'

// The webdataset format on a real project of real PNGs: tar shards within the size limit, three
// adjacent members per image, counts per class and split equal to the project's, the original bytes,
// and the shards read back by a reader Pictor has nothing to do with (Python's tarfile), from the job
// and from `pictor dataset export` as a user runs it (the built CLI; `npm test` builds first).

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'pictor.js')
/** Small enough that the 17 images need several shards (a 20×20 PNG sample takes 3 KiB). */
const LIMIT = 8192

let dir: string
let project: DatasetProject
let result: DatasetExportResult
const progress: ProgressUpdate[] = []

async function run(out: string, options: Partial<Omit<DatasetExportInput, 'db' | 'dir'>> = {}, signal = new AbortController().signal, onProgress = (_: ProgressUpdate) => {}) {
  const db = openProjectDatabase(project.projectPath)
  try {
    const input = { db, dir: join(dir, out), format: 'webdataset', split: 'all', mode: 'auto', includeUnlabeled: false, pictorVersion: 'test', ...options } as DatasetExportInput
    return await exportDataset(input, { signal, onProgress })
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  dir = makeTempDir('pictor-webdataset-')
  project = await createDatasetProject(join(dir, 'project'))
  result = await run('wds', { shardBytes: LIMIT }, undefined, (update) => progress.push(update))
}, 120_000)

afterAll(() => removeTempDir(dir))

interface Member {
  name: string
  data: Buffer
}

/** The members of a tar file, read by hand from its ustar headers (Python's tarfile checks the format below). */
function readTar(path: string): Member[] {
  const bytes = readFileSync(path)
  const members: Member[] = []
  let offset = 0
  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '')
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, ''), 8)
    members.push({ name, data: bytes.subarray(offset + 512, offset + 512 + size) })
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return members
}

const shardFiles = (out: string) => readdirSync(join(dir, out)).filter((name) => name.endsWith('.tar'))
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const keyOf = (name: string) => name.slice(0, name.indexOf('.'))

describe('webdataset shards', () => {
  it('are <split>-NNNNNN.tar at the top, each within the size limit, as --json lists them', () => {
    const files = shardFiles('wds')
    expect(readdirSync(join(dir, 'wds')).sort()).toEqual(['README.md', 'classes.json', ...files].sort())
    expect(files.every((file) => /^(train|val|test)-\d{6}\.tar$/.test(file))).toBe(true)
    expect(files.filter((file) => file.startsWith('train-')).length).toBeGreaterThan(1)
    expect(result.shards!.map((shard) => shard.file).sort()).toEqual([...files].sort())
    for (const shard of result.shards!) {
      const size = statSync(join(dir, 'wds', shard.file)).size
      expect(shard.bytes).toBe(size)
      expect(size).toBeLessThanOrEqual(LIMIT)
      expect(size % 512).toBe(0)
      expect(shard.images).toBe(readTar(join(dir, 'wds', shard.file)).filter((member) => member.name.endsWith('.png')).length)
    }
    expect(progress.at(-1)).toEqual({ done: 17, total: 17, message: 'writing shards' })
  })

  it('hold as many images of each class in each split as the project, three adjacent members a key', () => {
    const classes = (JSON.parse(readFileSync(join(dir, 'wds', 'classes.json'), 'utf8')) as { names: string[] }).names
    expect(classes).toEqual([QUOTED, 'red', 'blue'])
    const counts: Record<string, Record<string, number>> = {}
    const keys = new Set<string>()
    const sourceHashes = new Set(listFiles(project.folder).map((path) => sha256(readFileSync(join(project.folder, path)))))
    for (const file of shardFiles('wds')) {
      const members = readTar(join(dir, 'wds', file))
      expect(members.length % 3).toBe(0)
      for (let i = 0; i < members.length; i += 3) {
        const [image, cls, json] = members.slice(i, i + 3) as [Member, Member, Member]
        const key = keyOf(image.name)
        expect(key).toMatch(/^(train|val|test)-\d{6}-[0-9a-f]{8}$/)
        expect([image.name, cls.name, json.name]).toEqual([`${key}.png`, `${key}.cls`, `${key}.json`])
        expect(keys.has(key)).toBe(false)
        keys.add(key)
        const meta = JSON.parse(json.data.toString('utf8')) as { label: string; split: string; sha256: string; width: number; height: number; label_origin: string; file_name: string }
        expect(file.startsWith(`${meta.split}-`)).toBe(true)
        expect(key.startsWith(`${meta.split}-`)).toBe(true)
        expect(classes[Number(cls.data.toString('utf8'))]).toBe(meta.label)
        expect(cls.data.toString('utf8')).toMatch(/^\d+$/)
        // The original bytes, which the project hashed at import.
        expect(sha256(image.data)).toBe(meta.sha256)
        expect(sourceHashes.has(meta.sha256)).toBe(true)
        expect(meta).toMatchObject({ width: 20, height: 20 })
        expect(meta.file_name).toMatch(/\.png$/)
        ;(counts[meta.split] ??= {})[meta.label] = (counts[meta.split]![meta.label] ?? 0) + 1
      }
    }
    expect(counts).toEqual(projectCounts(project.projectPath))
    expect(keys.size).toBe(result.images)
  })

  it('give an image larger than the limit a shard of its own, and are the same on every export', async () => {
    const tiny = await run('tiny', { shardBytes: 1000 })
    expect(tiny.shards).toHaveLength(17)
    for (const shard of tiny.shards!) expect(shard.images).toBe(1)
    const again = await run('wds-again', { shardBytes: LIMIT })
    expect(again.shards).toEqual(result.shards)
    for (const file of shardFiles('wds')) expect(readFileSync(join(dir, 'wds-again', file)).equals(readFileSync(join(dir, 'wds', file)))).toBe(true)
  })

  it('put unlabeled images (with --include-unlabeled) in unlabeled-NNNNNN.tar, without .cls', async () => {
    const withUnlabeled = await run('unlabeled', { includeUnlabeled: true })
    expect(withUnlabeled.shards!.map((shard) => shard.file)).toEqual(['train-000000.tar', 'val-000000.tar', 'test-000000.tar', 'unlabeled-000000.tar'])
    const members = readTar(join(dir, 'unlabeled', 'unlabeled-000000.tar'))
    expect(members.map((member) => member.name.slice(member.name.indexOf('.')))).toEqual(['.png', '.json'])
    expect(JSON.parse(members[1]!.data.toString('utf8'))).toMatchObject({ label: null, split: 'unsplit', file_name: 'loose.png' })
  })

  it('come with a dataset card giving the counts and the shard patterns', () => {
    const card = readFileSync(join(dir, 'wds', 'README.md'), 'utf8')
    expect(card).toContain('| red | `red` | 5 | 2 | 1 | 8 |')
    expect(card).toMatch(/- `train-\{000000\.\.0000\d\d\}\.tar`: 10 images in \d+ shards, \d+ bytes\./)
    expect(card).toContain('`<key>.cls` (its class index in `classes.json`, decimal)')
    expect(card).not.toContain('hard links')
  })

  it('cancelled midway: no destination and no temporary folder are left', async () => {
    const controller = new AbortController()
    const parent = join(dir, 'cancel-parent')
    mkdirSync(parent)
    const outcome = run('cancel-parent/out', { shardBytes: LIMIT }, controller.signal, (update) => {
      if (update.done === 3) controller.abort()
    })
    await expect(outcome).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(readdirSync(parent)).toEqual([])
  })

  it('headers are POSIX ustar with a valid checksum', () => {
    const header = tarHeader('a-000000-00000000.png', 1234, new Date(1_700_000_000_000))
    expect(header.subarray(257, 265).toString('ascii')).toBe('ustar\u000000')
    const stored = parseInt(header.subarray(148, 155).toString('ascii'), 8)
    const blanked = Buffer.from(header)
    blanked.write('        ', 148, 'ascii')
    expect(stored).toBe(blanked.reduce((sum, byte) => sum + byte, 0))
    expect(parseInt(header.subarray(124, 135).toString('ascii'), 8)).toBe(1234)
  })
})

/** The first python3 that runs (Debian's /usr/bin/python3 may be hidden by a pyenv one on PATH, or the reverse). */
function findPython(): { python?: string; why: string } {
  const probes = ['python3', '/usr/bin/python3'].map((python) => ({ python, run: spawnSync(python, ['-c', 'import tarfile'], { encoding: 'utf8' }) }))
  const python = probes.find((probe) => probe.run.status === 0)?.python
  return { python, why: (probes[0]!.run.stderr || probes[0]!.run.error?.message || '').trim().split('\n').at(-1) ?? '' }
}

/** Every shard's members as Python's tarfile lists them, and the first .cls and .json it reads back. */
const TARFILE_SCRIPT = [
  'import json, os, sys, tarfile',
  'root = sys.argv[1]',
  'out = {"members": {}, "cls": None, "json": None}',
  'for name in sorted(os.listdir(root)):',
  '    if not name.endswith(".tar"): continue',
  '    with tarfile.open(os.path.join(root, name)) as tar:',
  '        members = tar.getmembers()',
  '        out["members"][name] = [m.name for m in members]',
  '        for m in members:',
  '            if m.name.endswith(".cls") and out["cls"] is None: out["cls"] = tar.extractfile(m).read().decode()',
  '            if m.name.endswith(".json") and out["json"] is None: out["json"] = json.loads(tar.extractfile(m).read())',
  'print(json.dumps(out))'
].join('\n')

function readWithTarfile(python: string, root: string): { members: Record<string, string[]>; cls: string; json: Record<string, unknown> } {
  const read = spawnSync(python, ['-c', TARFILE_SCRIPT, root], { encoding: 'utf8', timeout: 60_000 })
  expect(read.stderr).toBe('')
  return JSON.parse(read.stdout) as { members: Record<string, string[]>; cls: string; json: Record<string, unknown> }
}

describe('read back by Python’s tarfile', () => {
  it('lists every shard and its members, and reads a .cls and a .json back', (context) => {
    const { python, why } = findPython()
    if (!python) return context.skip(`no python3 here runs (${why})`)
    const read = readWithTarfile(python, join(dir, 'wds'))
    expect(Object.keys(read.members)).toEqual([...shardFiles('wds')].sort())
    for (const [file, names] of Object.entries(read.members)) expect(names).toEqual(readTar(join(dir, 'wds', file)).map((member) => member.name))
    // The first shard in name order is test-000000.tar; its first sample's .cls and .json agree.
    expect(read.cls).toMatch(/^[0-2]$/)
    expect(read.json).toMatchObject({ split: 'test', width: 20, height: 20, label_origin: 'folder' })
    expect([QUOTED, 'red', 'blue'][Number(read.cls)]).toBe(read.json.label)
  })

  it('`pictor dataset export --format webdataset --shard-size` prints the shards with --json', (context) => {
    const out = join(dir, 'cli')
    const pictor = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, 'dataset', 'export', '--project', project.projectPath, ...args], {
        encoding: 'utf8',
        env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') },
        timeout: 60_000
      })
    const cli = pictor('--format', 'webdataset', '--shard-size', '0.01', '--out', out, '--json')
    expect(cli.stderr).toBe('')
    expect(cli.status).toBe(0)
    const printed = JSON.parse(cli.stdout) as { images: number; shards: { file: string; images: number; bytes: number }[] }
    expect(printed.images).toBe(17)
    expect(printed.shards.reduce((sum, shard) => sum + shard.images, 0)).toBe(17)
    for (const shard of printed.shards) {
      expect(shard.bytes).toBeLessThanOrEqual(0.01 * 1024 * 1024)
      expect(statSync(join(out, shard.file)).size).toBe(shard.bytes)
    }
    expect(pictor('--format', 'webdataset', '--link', '--out', join(dir, 'never')).stderr).toContain('--link does not apply to webdataset')
    expect(pictor('--format', 'keras', '--shard-size', '1', '--out', join(dir, 'never')).stderr).toContain('--shard-size applies to --format webdataset only')
    expect(pictor('--format', 'webdataset', '--shard-size', '0', '--out', join(dir, 'never')).status).toBe(2)
    const { python, why } = findPython()
    if (!python) return context.skip(`the CLI export is fine; no python3 here runs to read it (${why})`)
    const read = readWithTarfile(python, out)
    expect(Object.values(read.members).flat()).toHaveLength(17 * 3)
  })
})
