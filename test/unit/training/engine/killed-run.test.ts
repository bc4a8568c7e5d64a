import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { RunSummary } from '../../../../src-main/contract/types'
import type { Services } from '../../../../src-main/services/services'
import { createServices } from '../../../../src-main/services/services'
import { RESTARTED } from '../../../../src-main/training/run-training'
import { withProjectDb } from '../../../helpers/import-project'
import { useTempDir } from '../../../helpers/temp-dir'
import { createTrainingProject, splitGroups } from '../../../helpers/training-project'
import { checkpointOf, runOf } from './job-helpers'

// A training run whose process is killed (kill -9 of a `pictor train` beside the app, before its
// first checkpoint): while that process lives, the app leaves its run alone; once it is gone, opening
// the project marks the run 'interrupted' in the database, and resuming it trains it from scratch
// with the same settings to 'done'.

const ROOT = join(import.meta.dirname, '..', '..', '..', '..')
// The built CLI itself (bin/pictor.js would rebuild first when sources changed, outside the build lock).
const CLI = join(ROOT, 'out', 'main', 'cli.js')
const temp = useTempDir('pictor-killed-run-')
const opened: Services[] = []
const children: ChildProcess[] = []

afterEach(() => {
  for (const services of opened.splice(0)) services.close()
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

async function openServices(projectPath: string): Promise<Services> {
  const services = createServices({ dataDir: join(temp(), 'data'), transport: 'cli' })
  opened.push(services)
  const envelope = await services.call('project.open', { path: projectPath })
  if (!envelope.ok) throw new Error(envelope.error.message)
  return services
}

async function listed(services: Services, runId: number): Promise<RunSummary> {
  const envelope = await services.call('runs.list', {})
  if (!envelope.ok) throw new Error(envelope.error.message)
  return envelope.value.find((run) => run.id === runId)!
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

describe('a killed training run', () => {
  it("is left alone while its process lives, marked 'interrupted' on open once it is gone, and resumes from scratch to 'done'", { timeout: 180_000 }, async () => {
    expect(existsSync(CLI), 'the unit tests need `npm run build` first').toBe(true)
    const { projectPath } = await createTrainingProject(join(temp(), 'project'), splitGroups({ train: [24, 24], val: [4, 4] }))
    // Big enough images that the first epoch takes a while: the kill lands before its checkpoint.
    const child = spawn(process.execPath, [CLI, 'train', '--project', projectPath, '--epochs', '2', '--size', '96', '--batch', '4', '--backend', 'wasm', '--json'], {
      env: { ...process.env, PICTOR_DATA_DIR: join(temp(), 'cli-data') },
      stdio: ['ignore', 'ignore', 'pipe']
    })
    children.push(child)
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))

    const runId = await until(
      `pictor train to start its run (${stderr})`,
      () => withProjectDb(projectPath, (db) => db.prepare("SELECT id FROM training_runs WHERE status = 'running'").pluck().get() as number | undefined),
      60_000
    )

    // The app opens the project while the other process trains: its run is running, not interrupted, and not the app's to resume or delete.
    const app = await openServices(projectPath)
    expect(await listed(app, runId)).toMatchObject({ status: 'running', resumable: false })
    expect(await app.call('train.resume', { runId })).toMatchObject({ ok: false, error: { code: 'BUSY' } })
    expect(await app.call('runs.delete', { runId })).toMatchObject({ ok: false, error: { code: 'BUSY' } })
    app.close()

    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    // Killed before its first checkpoint, and nothing has told the database yet.
    expect(checkpointOf(projectPath, runId)).toBeUndefined()
    expect(runOf(projectPath, runId).status).toBe('running')

    // Opening the project marks it, in the database.
    const reopened = await openServices(projectPath)
    expect(runOf(projectPath, runId)).toMatchObject({ status: 'interrupted', resumable: true, error: expect.stringContaining('process training it stopped') })
    expect(await listed(reopened, runId)).toMatchObject({ status: 'interrupted', resumable: true })

    const resumed = await reopened.call('train.resume', { runId })
    expect(resumed).toMatchObject({ ok: true, value: { runId } })
    const done = await until('the resumed run to end', async () => {
      const run = await listed(reopened, runId)
      return run.status === 'running' || run.status === 'queued' || run.status === 'interrupted' ? undefined : run
    }, 150_000, 200)
    expect(done).toMatchObject({ status: 'done', hasModel: true, resumable: false, error: null })
    expect(done.settings).toMatchObject({ epochs: 2, imageSize: 96, batchSize: 4, backend: 'wasm' })
    expect(done.epochs.map((epoch) => epoch.epoch)).toEqual([0, 1])
    expect(done.summary?.notes).toContain(RESTARTED)
    // The lease goes with the job (its starter drops it once the worker has answered, a moment after the status is written).
    const leaseOwner = () => withProjectDb(projectPath, (db) => db.prepare('SELECT lease_owner FROM training_runs WHERE id = ?').pluck().get(runId))
    await until('the lease to be dropped', () => (leaseOwner() === null ? true : undefined), 10_000)
  })
})
