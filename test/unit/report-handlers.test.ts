import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getRun } from '../../src-main/db/queries/training-runs'
import { answerPath } from '../../src-main/server/app-routes'
import { REPORT_CONTENT_SECURITY_POLICY } from '../../src-main/server/report-route'
import { createServices, type Services } from '../../src-main/services/services'
import { activateBackend } from '../../src-main/tfjs/backend'
import { trainingJob } from '../../src-main/workers/training-job'
import { withProjectDb, type ImportSetup } from '../helpers/import-project'
import { makeTempDir, removeTempDir } from '../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../helpers/training-project'
import { serviceCalls } from '../helpers/service-calls'

// report.create and report.status through the real services on a real project (a seed CNN trained
// for two epochs by the real train job, never evaluated), the 'report' job in its worker thread, and
// the /reports/<run id> route answering the file the job wrote (the route's own cases: report-route.test.ts).

let dir: string
let setup: ImportSetup
let runId: number
let services: Services

const { call, failureOf, finished } = serviceCalls(() => services)

const routes = () => ({ rendererDir: join(dir, 'renderer'), thumbnails: services.thumbnails, session: services.session })

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-report-')
  setup = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [10, 10], val: [2, 2], test: [5, 5] }))
  const settings = trainSettings({ epochs: 2 })
  runId = queueRun(setup.projectPath, settings)
  await trainingJob({ projectPath: setup.projectPath, modelsDir: join(dir, 'models'), runId, settings, resume: false }, recordingContext())
  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  await call('project.open', { path: setup.projectPath })
}, 180_000)

afterAll(() => {
  services?.close()
  removeTempDir(dir)
})

describe('a run report from the app', () => {
  const defaultPath = () => join(withProjectDb(setup.projectPath, (db) => getRun(db, runId)!.logDir!), 'report.html')

  it('a run without a report: status says where it will be, the route answers 404', async () => {
    expect(await call('report.status', { runId })).toEqual({ path: defaultPath(), exists: false, bytes: 0, writtenAt: null })
    expect(await answerPath(`/reports/${runId}`, routes())).toMatchObject({ kind: 'refused', status: 404 })
  })

  it('refuses a run without a model and a bad Save as target before any job starts', async () => {
    const queued = queueRun(setup.projectPath, trainSettings())
    expect(await failureOf('report.create', { runId: queued })).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/no trained model/) })
    await call('runs.delete', { runId: queued })
    expect(await failureOf('report.create', { runId, path: join(dir, 'report.pdf') })).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('.html') })
    expect(await failureOf('report.create', { runId, path: join(dir, 'no-such-folder', 'r.html') })).toMatchObject({ code: 'NOT_FOUND' })
    mkdirSync(join(dir, 'taken.html'))
    expect(await failureOf('report.create', { runId, path: join(dir, 'taken.html') })).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('is a folder') })
    expect(await failureOf('report.create', { runId, path: 'relative/report.html' })).toMatchObject({ code: 'INVALID_REQUEST' })
    expect((await call('jobs.list', {})).filter((job) => job.kind === 'report')).toEqual([])
  })

  it('writes the report into the run folder in a worker, evaluating the never-evaluated run first; one at a time', { timeout: 120_000 }, async () => {
    const started = await call('report.create', { runId })
    expect(started.runId).toBe(runId)
    expect(await failureOf('report.create', { runId })).toMatchObject({ code: 'BUSY' })
    const outcome = await finished(started.jobId)
    expect(outcome).toMatchObject({ kind: 'report', state: 'done', result: { kind: 'report', report: { runId, path: defaultPath(), evaluated: true } } })
    const written = outcome.result?.kind === 'report' ? outcome.result.report : null
    const status = await call('report.status', { runId })
    expect(status).toMatchObject({ path: defaultPath(), exists: true, bytes: statSync(defaultPath()).size })
    expect(written?.bytes).toBe(status?.bytes)
    expect(status?.writtenAt).toBeGreaterThan(Date.now() - 120_000)
    const html = readFileSync(defaultPath(), 'utf8')
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).not.toMatch(/<script/i)
  })

  it('the route serves the open project run report with a no-script policy, never a path from the URL', async () => {
    const answer = await answerPath(`/reports/${runId}`, routes())
    expect(answer).toMatchObject({ kind: 'bytes', contentType: 'text/html; charset=utf-8', cacheControl: 'no-store', contentSecurityPolicy: REPORT_CONTENT_SECURITY_POLICY })
    expect(answer.kind === 'bytes' && answer.body.equals(readFileSync(defaultPath()))).toBe(true)
    for (const path of [`/reports/${runId + 100}`, '/reports/0', `/reports/${runId}/x`, '/reports/..%2f..%2fetc%2fpasswd', `/reports/${runId}.html`, '/reports/']) {
      expect(await answerPath(path, routes()), path).toMatchObject({ kind: 'refused', status: 404 })
    }
  })

  it('Save as writes a copy where asked, and replaces a file there only when told to', { timeout: 60_000 }, async () => {
    const target = join(dir, 'copy.html')
    writeFileSync(target, 'old')
    expect(await failureOf('report.create', { runId, path: target })).toMatchObject({ code: 'ALREADY_EXISTS' })
    const started = await call('report.create', { runId, path: target, overwrite: true })
    const outcome = await finished(started.jobId)
    expect(outcome).toMatchObject({ state: 'done', result: { kind: 'report', report: { path: target, evaluated: false } } })
    expect(readFileSync(target, 'utf8')).toMatch(/^<!doctype html>/i)
    // The run's own report is still the one the page opens.
    expect((await call('report.status', { runId }))?.path).toBe(defaultPath())
  })
})
