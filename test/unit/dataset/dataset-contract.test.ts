import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushEvent } from '../../../src-main/contract/events'
import type { JobProgress } from '../../../src-main/contract/types'
import { createServices, type Services } from '../../../src-main/services/services'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, filesOnDisk, listFiles, projectCounts, QUOTED, type DatasetProject } from './dataset-project'

// dataset.export through the real services on a real project: the job runs in its worker as a
// 'dataset-export' job (progress events, jobs.cancel), the call answers with the counts, which equal
// the project's own and the files on disk; bad requests and a non-empty folder are coded refusals.

let dir: string
let project: DatasetProject
let services: Services
const events: JobProgress[] = []

beforeAll(async () => {
  dir = makeTempDir('pictor-dataset-contract-')
  project = await createDatasetProject(join(dir, 'project'))
  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  services.events.subscribe((event: PushEvent) => {
    if (event.name === 'job.progress') events.push(event.payload as JobProgress)
  })
  expect((await services.call('project.open', { path: project.projectPath })).ok).toBe(true)
}, 120_000)

afterAll(() => {
  services?.close()
  removeTempDir(dir)
})

function nonZero(counts: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  return Object.fromEntries(Object.entries(counts).map(([split, classes]) => [split, Object.fromEntries(Object.entries(classes).filter(([, n]) => n > 0))]))
}

describe('dataset.export', () => {
  it('exports keras through a dataset-export job, answering the counts the project has and the disk holds', async () => {
    const out = join(dir, 'keras')
    const envelope = await services.call('dataset.export', { dir: out, format: 'keras' })
    if (!envelope.ok) throw new Error(envelope.error.message)
    const result = envelope.value
    const expected = projectCounts(project.projectPath)
    const labeled = Object.values(expected).flatMap((classes) => Object.values(classes)).reduce((sum, n) => sum + n, 0)
    expect(result).toMatchObject({ format: 'keras', dir: out, split: 'all', images: labeled })
    expect(result.linked + result.copied).toBe(labeled)
    // Every class is listed in every split, 0 included; the project's tables have only what is there.
    expect(nonZero(result.counts)).toEqual(expected)
    // On disk the folders are the safe names; classes.json maps them back.
    const folderOf = Object.fromEntries(result.classes.map((entry) => [entry.name, entry.folder]))
    const onDisk = Object.fromEntries(
      Object.entries(expected).map(([split, classes]) => [split, Object.fromEntries(Object.entries(classes).map(([name, n]) => [folderOf[name], n]))])
    )
    expect(filesOnDisk(out)).toEqual(onDisk)
    expect(result.classes.map((entry) => entry.name)).toEqual([QUOTED, 'red', 'blue'])
    expect(result.leftOut).toMatchObject({ failed: 1, unlabeled: 1 })
    expect(JSON.parse(readFileSync(join(out, 'classes.json'), 'utf8')).names).toEqual([QUOTED, 'red', 'blue'])

    const job = events.filter((progress) => progress.kind === 'dataset-export')
    expect(job.at(-1)?.state).toBe('done')
    expect(job.some((progress) => progress.total === labeled)).toBe(true)
  })

  it('exports one split as webdataset shards with the unlabeled image, reporting the shards', async () => {
    const out = join(dir, 'shards')
    const envelope = await services.call('dataset.export', { dir: out, format: 'webdataset', split: 'train', includeUnlabeled: true, shardMib: 1 })
    if (!envelope.ok) throw new Error(envelope.error.message)
    const { shards, counts, leftOut } = envelope.value
    expect(Object.keys(counts)).toEqual(['train'])
    expect(leftOut.otherSplits).toBeGreaterThan(0)
    expect(shards?.map((shard) => shard.file)).toEqual(expect.arrayContaining(['train-000000.tar']))
    expect(listFiles(out)).toEqual(expect.arrayContaining(['classes.json', 'README.md', ...shards!.map((shard) => shard.file)]))
  })

  it('refuses a non-empty folder with ALREADY_EXISTS and leaves it as it was', async () => {
    const out = join(dir, 'full')
    mkdirSync(out)
    writeFileSync(join(out, 'notes.txt'), 'mine')
    const envelope = await services.call('dataset.export', { dir: out, format: 'csv' })
    expect(envelope.ok).toBe(false)
    if (envelope.ok) return
    expect(envelope.error.code).toBe('ALREADY_EXISTS')
    expect(envelope.error.message).toMatch(/is not empty \(notes\.txt\)/)
    expect(listFiles(out)).toEqual(['notes.txt'])
  })

  it('validates the request: an absolute folder outside /dev, /proc, /sys, inside an existing one; no hard links into shards', async () => {
    const relative = await services.call('dataset.export', { dir: 'datasets/flowers', format: 'keras' })
    expect(!relative.ok && relative.error.code).toBe('INVALID_REQUEST')
    const system = await services.call('dataset.export', { dir: '/proc/flowers', format: 'keras' })
    expect(!system.ok && system.error.code).toBe('INVALID_REQUEST')
    const linkedShards = await services.call('dataset.export', { dir: join(dir, 'never'), format: 'webdataset', mode: 'link' })
    expect(!linkedShards.ok && linkedShards.error.message).toMatch(/hard links do not apply/)
    const noParent = await services.call('dataset.export', { dir: join(dir, 'no', 'such', 'flowers'), format: 'keras' })
    expect(!noParent.ok && noParent.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no\/such does not exist/) })
    const format = await services.call('dataset.export', { dir: join(dir, 'never'), format: 'parquet' as 'csv' })
    expect(!format.ok && format.error.code).toBe('INVALID_REQUEST')
  })

  it('is cancelled through jobs.cancel, leaving nothing behind', async () => {
    const out = join(dir, 'cancelled')
    const started = new Promise<string>((resolve) => {
      const unsubscribe = services.events.subscribe((event: PushEvent) => {
        const progress = event.payload as JobProgress
        if (event.name === 'job.progress' && progress.kind === 'dataset-export' && progress.state === 'running') {
          unsubscribe()
          resolve(progress.jobId)
        }
      })
    })
    const call = services.call('dataset.export', { dir: out, format: 'imagefolder', mode: 'copy' })
    expect((await services.call('jobs.cancel', { jobId: await started })).ok).toBe(true)
    const envelope = await call
    expect(!envelope.ok && envelope.error.code).toBe('CANCELLED')
    expect(listFiles(dir).filter((file) => file.startsWith('cancelled') || file.startsWith('.cancelled'))).toEqual([])
  })
})
