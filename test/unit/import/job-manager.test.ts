import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { JobProgress } from '../../../src-main/contract/types'
import { AppError } from '../../../src-main/core/errors'
import { EventBus } from '../../../src-main/core/event-bus'
import type { ImportInput } from '../../../src-main/import/import-folder'
import type { ImportReport } from '../../../src-main/import/import-report'
import importWorkerPath from '../../../src-main/workers/import-worker?modulePath'
import { JobManager } from '../../../src-main/jobs/job-manager'
import { runInWorker } from '../../../src-main/jobs/worker-job'
import { expectAppError } from '../../helpers/app-error'
import { writeImage, writeManyJpegs, writeTextFile } from '../../helpers/image-fixtures'
import { imageRows, importRunRows, setUpImport, type ImportSetup } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// The job manager turns a job's progress into rate-limited `job.progress` events with rate and ETA,
// and its end into a final state; runInWorker runs the built import worker under it.

const temp = useTempDir('pictor-jobs-')

/** A manager on a real event bus, with every job.progress payload it emits. */
function managerWithEvents() {
  const events = new EventBus()
  const emitted: JobProgress[] = []
  events.subscribe((event) => {
    if (event.name === 'job.progress') emitted.push({ ...(event.payload as JobProgress) })
  })
  return { jobs: new JobManager(events), emitted }
}

const states = (emitted: JobProgress[]) => emitted.map((progress) => progress.state)

describe('JobManager', () => {
  it('emits progress with a rate and an ETA once the job has run a while, then its end', async () => {
    const { jobs, emitted } = managerWithEvents()
    const { jobId, done } = jobs.start('count', async ({ onProgress }) => {
      for (let step = 1; step <= 8; step++) {
        await sleep(110)
        onProgress({ done: step, total: 10, message: `step ${step}` })
      }
      return 'result'
    })
    expect(jobs.isRunning('count')).toBe(true)
    expect(jobs.isRunning('import')).toBe(false)
    expect(await done).toBe('result')
    expect(jobs.isRunning('count')).toBe(false)

    expect(emitted[0]).toMatchObject({ jobId, kind: 'count', state: 'running', done: 0, total: null, ratePerSecond: null })
    expect(emitted.at(-1)).toMatchObject({ jobId, state: 'done', done: 8, message: 'step 8', etaSeconds: null })
    expect(states(emitted).slice(0, -1).every((state) => state === 'running')).toBe(true)
    // No rate in the first half second (too little to go on), then a rate and a consistent ETA.
    const early = emitted.find((progress) => progress.done === 2)
    expect(early).toMatchObject({ ratePerSecond: null, etaSeconds: null })
    const late = emitted.filter((progress) => progress.state === 'running' && progress.ratePerSecond !== null)
    expect(late.length).toBeGreaterThan(0)
    for (const progress of late) {
      expect(progress.ratePerSecond!).toBeGreaterThan(1)
      expect(progress.ratePerSecond!).toBeLessThan(10) // at most 1 step per 110 ms
      expect(Math.abs(progress.etaSeconds! - (10 - progress.done) / progress.ratePerSecond!)).toBeLessThanOrEqual(1)
    }
  })

  it('rate-limits events for a flood of updates while list() always has the latest', async () => {
    const { jobs, emitted } = managerWithEvents()
    let release!: () => void
    const { jobId, done } = jobs.start('flood', ({ onProgress }) => {
      for (let step = 1; step <= 1000; step++) onProgress({ done: step, total: 1000, message: `file ${step}` })
      return new Promise<void>((resolve) => (release = resolve))
    })
    expect(emitted.length).toBeLessThanOrEqual(3)
    expect(jobs.list().find((job) => job.jobId === jobId)).toMatchObject({ state: 'running', done: 1000, message: 'file 1000' })
    release()
    await done
    expect(emitted.at(-1)).toMatchObject({ state: 'done', done: 1000 })
  })

  it('a job that throws ends as failed with its message', async () => {
    const { jobs, emitted } = managerWithEvents()
    const { done } = jobs.start('broken', async () => {
      throw new Error('the disk caught fire')
    })
    await expect(done).rejects.toThrow('the disk caught fire')
    expect(emitted.at(-1)).toMatchObject({ state: 'failed', message: 'the disk caught fire' })
    expect(jobs.isRunning('broken')).toBe(false)
  })

  it('cancel aborts the signal; the job ends as cancelled whether it returns or throws', async () => {
    const { jobs, emitted } = managerWithEvents()
    const waitForAbort = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
    const returns = jobs.start('a', async ({ signal }) => {
      await waitForAbort(signal)
      return 'partial'
    })
    const throws = jobs.start('b', async ({ signal }) => {
      await waitForAbort(signal)
      signal.throwIfAborted()
    })
    jobs.cancel(returns.jobId)
    jobs.cancel(throws.jobId)
    expect(await returns.done).toBe('partial')
    await expect(throws.done).rejects.toMatchObject({ name: 'AbortError' })
    const last = (jobId: string) => emitted.filter((progress) => progress.jobId === jobId).at(-1)
    expect(last(returns.jobId)).toMatchObject({ state: 'cancelled' })
    expect(last(throws.jobId)).toMatchObject({ state: 'cancelled', message: 'Cancelled' })
  })

  it('cancelling an unknown job is NOT_FOUND; updates after the end are ignored', async () => {
    const { jobs } = managerWithEvents()
    expectAppError(() => jobs.cancel('no-such-job'), 'NOT_FOUND')
    let report!: (done: number) => void
    const { jobId, done } = jobs.start('late', async ({ onProgress }) => {
      report = (value) => onProgress({ done: value, total: null, message: 'late' })
    })
    await done
    report(99)
    expect(jobs.list().find((job) => job.jobId === jobId)).toMatchObject({ state: 'done', done: 0 })
  })

  it('keeps only the 20 most recent finished jobs listed', async () => {
    const { jobs } = managerWithEvents()
    const ids: string[] = []
    for (let index = 0; index < 25; index++) {
      const { jobId, done } = jobs.start('quick', async () => index)
      ids.push(jobId)
      await done
    }
    expect(jobs.list().map((job) => job.jobId)).toEqual(ids.slice(5))
  })
})

describe('runInWorker with the built import worker', () => {
  const input = (setup: ImportSetup): ImportInput => ({ ...setup })

  it('imports a small folder off the main thread and reports through the manager', async () => {
    const setup = setUpImport(temp())
    for (let seed = 1; seed <= 4; seed++) await writeImage(setup.folder, `cat/${seed}.jpg`, 'jpeg', { seed })
    writeTextFile(setup.folder, 'cat/broken.jpg')
    const { jobs, emitted } = managerWithEvents()
    const { done } = jobs.start('import', (context) => runInWorker<ImportInput, ImportReport>(importWorkerPath, input(setup), context))
    const report = await done
    expect(report).toMatchObject({ imported: 4, failed: 1, cancelled: false, classes: { cat: 4 } })
    expect(report.errors).toEqual([{ path: 'cat/broken.jpg', code: 'NOT_AN_IMAGE', message: expect.any(String) }])
    expect(emitted.at(-1)).toMatchObject({ kind: 'import', state: 'done', done: 5, total: 5 })
    expect(imageRows(setup.projectPath).size).toBe(5)
  })

  it('cancels an import running in a worker: it stops, commits its work and says it was cancelled', async () => {
    const setup = setUpImport(temp())
    await writeManyJpegs(join(setup.folder, 'many'), 400)
    const { jobs, emitted } = managerWithEvents()
    let jobId = ''
    const { jobId: id, done } = jobs.start('import', (context) =>
      runInWorker<ImportInput, ImportReport>(importWorkerPath, input(setup), {
        signal: context.signal,
        onProgress: (update) => {
          context.onProgress(update)
          if (update.done > 0) jobs.cancel(jobId)
        }
      })
    )
    jobId = id
    const report = await done
    expect(report.cancelled).toBe(true)
    expect(report.imported).toBeGreaterThan(0)
    expect(report.imported).toBeLessThan(400)
    expect(emitted.at(-1)).toMatchObject({ jobId, state: 'cancelled' })
    expect(imageRows(setup.projectPath).size).toBe(report.imported)
    expect(importRunRows(setup.projectPath).map((run) => run.status)).toEqual(['cancelled'])
  })

  it('a worker whose job fails rejects with the job’s error code', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'a.jpg')
    const { jobs, emitted } = managerWithEvents()
    const notAProject = join(setup.folder, 'a.jpg')
    const { done } = jobs.start('import', (context) =>
      runInWorker<ImportInput, ImportReport>(importWorkerPath, { ...input(setup), projectPath: notAProject }, context)
    )
    const error = await done.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'NOT_A_PROJECT' })
    expect(emitted.at(-1)).toMatchObject({ state: 'failed', message: expect.stringContaining('not a Pictor project') })
  })
})
