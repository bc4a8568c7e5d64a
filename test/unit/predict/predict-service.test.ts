import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushEvent } from '../../../src-main/contract/events'
import type { MethodName, RequestOf, ResponseOf } from '../../../src-main/contract/methods'
import { exportRun } from '../../../src-main/export/export-run'
import { answerPath, type RouteContext } from '../../../src-main/server/app-routes'
import { createServices, type Services } from '../../../src-main/services/services'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { imagePaths, trainTinyCnn, withProjectDbAsync, type TrainedProject } from '../export/trained-run'

// Predicting a folder from the app, through the real services and the built predict worker: a tiny
// CNN's run and its exported .onnx, a folder with images, a damaged PNG, text named like a photo and a
// link leading out of it. The rows kept in main page and filter, the CSV is `pictor predict --csv`'s
// byte for byte, and the thumbnail route serves only files the prediction read below its folder.

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'bin', 'pictor.js')

let dir: string
let trained: TrainedProject
let folder: string
let modelPath: string
let services: Services
const events: PushEvent[] = []

async function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
  const envelope = await services.call(method, request)
  if (!envelope.ok) throw new Error(`${method}: ${envelope.error.code}: ${envelope.error.message}`)
  return envelope.value
}

async function failure<M extends MethodName>(method: M, request: RequestOf<M>): Promise<string> {
  const envelope = await services.call(method, request)
  return envelope.ok ? 'ok' : `${envelope.error.code}: ${envelope.error.message}`
}

/** The job's last state once it has ended. */
async function ended(jobId: string): Promise<string> {
  const last = () => events.filter((e): e is PushEvent<'job.progress'> => e.name === 'job.progress').filter((e) => e.payload.jobId === jobId).at(-1)?.payload.state
  await expect.poll(last, { timeout: 60_000 }).not.toBe('running')
  return last()!
}

const routes = (): RouteContext => ({ rendererDir: join(dir, 'no-renderer'), thumbnails: services.thumbnails, session: services.session, predictions: services.predictions })

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-predict-service-')
  trained = await trainTinyCnn(join(dir, 'project'))
  await withProjectDbAsync(trained.projectPath, (db) => exportRun(db, { dir: join(dir, 'export'), formats: ['onnx'] }, { modelsDir: join(dir, 'no-models'), pictorVersion: 'test' }))
  modelPath = join(dir, 'export', 'onnx', 'model.onnx')

  folder = join(dir, 'to predict')
  mkdirSync(join(folder, 'more'), { recursive: true })
  const paths = imagePaths(trained.projectPath, 'test')
  paths.forEach((path, index) => copyFileSync(path, join(folder, index < 4 ? '' : 'more', basename(path))))
  writeFileSync(join(folder, 'broken.png'), readFileSync(paths[0]!).subarray(0, 60))
  writeFileSync(join(folder, 'fake.jpg'), 'just text')
  writeFileSync(join(folder, 'notes.txt'), 'not an image')
  // A link to an image outside the folder: the walk leaves it out (LINK_OUTSIDE), the route never serves it.
  symlinkSync(paths[1]!, join(folder, 'outside.png'))

  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  services.events.subscribe((event) => events.push(event))
  await call('project.open', { path: trained.projectPath })
}, 120_000)

afterAll(() => {
  services?.close()
  removeTempDir(dir)
})

describe('predict.* through the services', () => {
  let jobId: string

  it("predicts a folder with the project's run in a worker: rows page, filter and count in main", async () => {
    ;({ jobId } = await call('predict.start', { folder, runId: trained.runId, top: 2 }))
    expect(await ended(jobId)).toBe('done')
    const page = await call('predict.results', { jobId, limit: 100 })
    expect(page).toMatchObject({ jobId, folder, source: { kind: 'run', runId: trained.runId }, labels: ['blue', 'red'], engine: 'onnxruntime', top: 2, state: 'done', files: 11, received: 11, unreadable: 3, matched: 11 })
    expect(page!.rows.map((row) => row.path)).toEqual(expect.arrayContaining(['broken.png', 'fake.jpg', 'outside.png', 'more/' + basename(imagePaths(trained.projectPath, 'test')[4]!)]))
    expect(page!.rows.find((row) => row.path === 'outside.png')!.error).toMatch(/^LINK_OUTSIDE/)
    expect(page!.counts.reduce((sum, entry) => sum + entry.count, 0)).toBe(8)
    // The latest prediction without a job id: what the view shows when it opens again.
    expect((await call('predict.results', {}))!.jobId).toBe(jobId)

    const red = await call('predict.results', { jobId, filter: { label: 'red' } })
    expect(red!.matched).toBe(page!.counts.find((entry) => entry.label === 'red')!.count)
    expect(red!.rows.every((row) => row.top[0]!.label === 'red')).toBe(true)
    const unreadable = await call('predict.results', { jobId, filter: { unreadable: true } })
    expect(unreadable!.rows.map((row) => row.path).sort()).toEqual(['broken.png', 'fake.jpg', 'outside.png'])
    const sure = await call('predict.results', { jobId, filter: { minConfidence: 0.5 }, sort: 'confidence', descending: true })
    expect(sure!.matched).toBe(8) // two classes: the best one is always ≥ 50 %
    const confidences = sure!.rows.map((row) => row.top[0]!.probability)
    expect(confidences).toEqual(confidences.toSorted((a, b) => b - a))
  }, 90_000)

  it('saves the CSV of `pictor predict --csv`, byte for byte; refuses to replace a file unless asked, and a missing folder', async () => {
    const cli = join(dir, 'cli.csv')
    const run = spawnSync(process.execPath, [BIN, 'predict', '--project', trained.projectPath, '--run', String(trained.runId), '--top', '2', folder, '--csv', cli], {
      encoding: 'utf8',
      env: { ...process.env, PICTOR_DATA_DIR: join(dir, 'data') }
    })
    expect(run.status, run.stderr).toBe(0)
    const saved = join(dir, 'app.csv')
    expect(await call('predict.saveCsv', { jobId, path: saved })).toEqual({ path: saved, rows: 11 })
    expect(readFileSync(saved, 'utf8')).toBe(readFileSync(cli, 'utf8'))

    expect(await failure('predict.saveCsv', { jobId, path: saved })).toMatch(/^ALREADY_EXISTS: /)
    expect(await call('predict.saveCsv', { jobId, path: saved, overwrite: true, filter: { label: 'red' } })).toMatchObject({ rows: expect.any(Number) })
    const lines = readFileSync(saved, 'utf8').trim().split('\n')
    expect(lines.slice(1).every((line) => line.split(',')[1] === 'red')).toBe(true)
    expect(await failure('predict.saveCsv', { jobId, path: join(dir, 'missing', 'x.csv') })).toMatch(/^NOT_FOUND: /)
    expect(await failure('predict.saveCsv', { jobId, path: dir })).toMatch(/^INVALID_REQUEST: .* is a folder/)
    expect(existsSync(join(dir, 'missing'))).toBe(false)
  }, 60_000)

  it('serves a small thumbnail of each predicted file through the preview pool, and nothing else', async () => {
    const page = await call('predict.results', { jobId, limit: 100 })
    const image = page!.rows.find((row) => row.error === null)!
    const answer = await answerPath(`/predicted/${jobId}/${image.index}.webp`, routes())
    expect(answer.kind).toBe('bytes')
    if (answer.kind !== 'bytes') return
    expect(answer.contentType).toBe('image/webp')
    const meta = await sharp(answer.body).metadata()
    expect(meta.format).toBe('webp')
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(128)

    const refused = async (pathname: string) => (await answerPath(pathname, routes())).kind
    const outside = page!.rows.find((row) => row.path === 'outside.png')!
    expect(await refused(`/predicted/${jobId}/${outside.index}.webp`)).toBe('refused')
    expect(await refused(`/predicted/${jobId}/999.webp`)).toBe('refused')
    expect(await refused(`/predicted/00000000-0000-0000-0000-000000000000/0.webp`)).toBe('refused')
    expect(await refused(`/predicted/${jobId}/../../etc/passwd`)).toBe('refused')
    expect(await refused(`/predicted/${jobId}/01.webp`)).toBe('refused')

    // A predicted file swapped for a link out of the folder afterwards is not followed.
    const target = join(folder, image.path)
    rmSync(target)
    symlinkSync('/etc/hostname', target)
    expect(await refused(`/predicted/${jobId}/${image.index}.webp`)).toBe('refused')
    rmSync(target)
    copyFileSync(imagePaths(trained.projectPath, 'test')[0]!, target)
  }, 30_000)

  it('predicts with an exported model; a model that does not load fails the start with its code and leaves nothing behind', async () => {
    const { jobId: exported } = await call('predict.start', { folder, modelPath })
    expect(await ended(exported)).toBe('done')
    expect(await call('predict.results', { jobId: exported, limit: 0 })).toMatchObject({ source: { kind: 'model', path: modelPath }, labels: ['blue', 'red'], top: 2, received: 11 })

    expect(await failure('predict.start', { folder, modelPath: join(folder, 'notes.txt') })).toMatch(/^INVALID_REQUEST: /)
    expect((await call('predict.results', {}))!.jobId).toBe(exported)
    expect(await failure('predict.start', { folder: join(dir, 'nowhere'), runId: trained.runId })).toMatch(/^NOT_FOUND: /)
    expect(await failure('predict.start', { folder: join(folder, 'notes.txt'), runId: trained.runId })).toMatch(/^INVALID_REQUEST: .* not a folder/)
    expect(await failure('predict.start', { folder, runId: 99_999 })).toBe('NOT_FOUND: run 99999 does not exist')
    expect(await failure('predict.results', { jobId: 'no-such-job' })).toBe('NOT_FOUND: job no-such-job does not exist')
  }, 60_000)

  it('cancels a big folder midway, keeping the rows so far (one prediction at a time)', async () => {
    const big = join(dir, 'big')
    mkdirSync(big)
    const paths = imagePaths(trained.projectPath, 'train')
    for (let index = 0; index < 3000; index++) copyFileSync(paths[index % paths.length]!, join(big, `${String(index).padStart(5, '0')}.png`))
    const { jobId: bigJob } = await call('predict.start', { folder: big, runId: trained.runId })
    expect(await failure('predict.start', { folder, runId: trained.runId })).toMatch(/^BUSY: /)
    expect(await failure('predict.saveCsv', { jobId: bigJob, path: join(dir, 'early.csv') })).toMatch(/^BUSY: /)
    await call('jobs.cancel', { jobId: bigJob })
    expect(await ended(bigJob)).toBe('cancelled')
    const page = await call('predict.results', { jobId: bigJob, limit: 0 })
    expect(page!.state).toBe('cancelled')
    expect(page!.received).toBeLessThan(3000)
    const { rows } = await call('predict.saveCsv', { jobId: bigJob, path: join(dir, 'partial.csv') })
    expect(rows).toBe(page!.received)
    expect(readFileSync(join(dir, 'partial.csv'), 'utf8').trim().split('\n')).toHaveLength(rows + 1)
  }, 90_000)
})
