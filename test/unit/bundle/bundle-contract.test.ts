import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushEvent } from '../../../src-main/contract/events'
import type { JobProgress } from '../../../src-main/contract/types'
import { createServices, type Services } from '../../../src-main/services/services'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createDatasetProject, projectCounts, QUOTED, type DatasetProject } from '../dataset/dataset-project'

// bundle.write through the real services on a real project, as the Export view's Cluster bundle tab
// calls it: the job runs in its worker as a 'bundle' job, the call answers with the counts and the
// commands, and the folder holds the program, its settings and the dataset; jobs.cancel stops it with
// nothing left behind. Bad requests, a missing parent folder and a missing base model are coded
// refusals that write nothing.

let dir: string
let project: DatasetProject
const opened: Services[] = []
const events: JobProgress[] = []
const savedModelsDir = process.env.PICTOR_MODELS_DIR

/** Services whose base models are in `modelsDir` (createServices reads $PICTOR_MODELS_DIR), with the project open. */
async function servicesWith(modelsDir: string, name: string): Promise<Services> {
  process.env.PICTOR_MODELS_DIR = modelsDir
  const services = createServices({ dataDir: join(dir, name), transport: 'cli' })
  opened.push(services)
  services.events.subscribe((event: PushEvent) => {
    if (event.name === 'job.progress') events.push(event.payload as JobProgress)
  })
  expect((await services.call('project.open', { path: project.projectPath })).ok).toBe(true)
  return services
}

beforeAll(async () => {
  dir = makeTempDir('pictor-bundle-contract-')
  project = await createDatasetProject(join(dir, 'project'))
  if (!hasPretrained) {
    // The stand-in is built with TF.js here, in the test's own process (the services' worker has its own).
    await activateBackend()
    await writeRandomBaseModel(join(dir, 'models'))
  }
}, 180_000)

afterAll(() => {
  for (const services of opened) services.close()
  if (savedModelsDir === undefined) delete process.env.PICTOR_MODELS_DIR
  else process.env.PICTOR_MODELS_DIR = savedModelsDir
  removeTempDir(dir)
})

describe('bundle.write', () => {
  let services: Services

  beforeAll(async () => {
    services = await servicesWith(hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models'), 'data')
  })

  it('writes the bundle through a bundle job, answering the project’s counts and the commands to run next', async () => {
    const out = join(dir, 'bundle')
    const envelope = await services.call('bundle.write', { dir: out })
    if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`)
    const result = envelope.value
    const expected = projectCounts(project.projectPath)
    const labeled = Object.values(expected).flatMap((classes) => Object.values(classes)).reduce((sum, n) => sum + n, 0)
    expect(result).toMatchObject({ dir: out, format: 'imagefolder', images: labeled, classes: [QUOTED, 'red', 'blue'] })
    expect(result.linked + result.copied).toBe(labeled)
    const withoutZeros = Object.fromEntries(Object.entries(result.counts).map(([split, classes]) => [split, Object.fromEntries(Object.entries(classes!).filter(([, n]) => n > 0))]))
    expect(withoutZeros).toEqual(expected)
    expect(result.commands.oneMachine).toMatch(/^torchrun .*train\.py$/)
    expect(result.commands.bringBack).toBe(`pictor runs import --project ${JSON.stringify(project.projectPath)} output/`)
    for (const file of ['train.py', 'config.json', 'README.md', 'requirements.txt', 'weights/model.json', 'data/classes.json']) expect(existsSync(join(out, file)), file).toBe(true)
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { data: { classes: string[] } }
    expect(config.data.classes).toEqual(result.classes)
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(result.commands.bringBack)

    const job = events.filter((progress) => progress.kind === 'bundle')
    expect(job.at(-1)?.state).toBe('done')
    expect(job.some((progress) => progress.total === labeled)).toBe(true)
  }, 120_000)

  it('copies on request, and writes WebDataset shards when asked', async () => {
    const envelope = await services.call('bundle.write', { dir: join(dir, 'shards'), format: 'webdataset', mode: 'copy' })
    if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`)
    expect(envelope.value).toMatchObject({ format: 'webdataset', linked: 0 })
    expect(readdirSync(join(dir, 'shards', 'data')).filter((file) => file.endsWith('.tar')).length).toBeGreaterThan(0)
  }, 120_000)

  it('validates the request at the boundary: an absolute folder inside an existing one, a known format, links or copies', async () => {
    const relative = await services.call('bundle.write', { dir: 'bundles/flowers' })
    expect(!relative.ok && relative.error.code).toBe('INVALID_REQUEST')
    const system = await services.call('bundle.write', { dir: '/proc/flowers' })
    expect(!system.ok && system.error.code).toBe('INVALID_REQUEST')
    const format = await services.call('bundle.write', { dir: join(dir, 'never'), format: 'keras' as 'auto' })
    expect(!format.ok && format.error.code).toBe('INVALID_REQUEST')
    const link = await services.call('bundle.write', { dir: join(dir, 'never'), mode: 'link' as 'copy' })
    expect(!link.ok && link.error.code).toBe('INVALID_REQUEST')
    const noParent = await services.call('bundle.write', { dir: join(dir, 'no', 'such', 'flowers') })
    expect(!noParent.ok && noParent.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no\/such does not exist; the bundle goes into/) })
    expect(existsSync(join(dir, 'never'))).toBe(false)
    expect(existsSync(join(dir, 'no'))).toBe(false)
  })

  it('is cancelled through jobs.cancel, leaving nothing behind', async () => {
    const started = new Promise<string>((resolve) => {
      const unsubscribe = services.events.subscribe((event: PushEvent) => {
        const progress = event.payload as JobProgress
        if (event.name === 'job.progress' && progress.kind === 'bundle' && progress.state === 'running') {
          unsubscribe()
          resolve(progress.jobId)
        }
      })
    })
    const call = services.call('bundle.write', { dir: join(dir, 'cancelled'), mode: 'copy' })
    expect((await services.call('jobs.cancel', { jobId: await started })).ok).toBe(true)
    const envelope = await call
    expect(!envelope.ok && envelope.error.code).toBe('CANCELLED')
    expect(readdirSync(dir).filter((name) => name.includes('cancelled'))).toEqual([])
  }, 60_000)

  it('refuses without the base model, saying how to install it, and writes nothing', async () => {
    const bare = await servicesWith(join(dir, 'no-models'), 'bare-data')
    const envelope = await bare.call('bundle.write', { dir: join(dir, 'unmodelled') })
    expect(!envelope.ok && envelope.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/MobileNetV2 base model.*pictor models fetch/) })
    expect(readdirSync(dir).filter((name) => name.includes('unmodelled'))).toEqual([])
  })
})
