import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { followJob } from '../../src-main/cli/job-session'
import { unwrap } from '../../src-main/cli/output'
import type { Envelope } from '../../src-main/contract/envelope'
import type { JobProgress } from '../../src-main/contract/types'
import { useLabelingProject } from '../helpers/labeling-project'
import { splitGroups, writeGroups } from '../helpers/training-project'

// The CLI's job helper on real services running real jobs (an import and a training run in their
// workers) in one process, as `pictor` commands would if a command ever ran two.
const project = useLabelingProject()
const never = new AbortController().signal

describe('the CLI job helper', () => {
  it('follows its own job by id while a job of another kind ends, and Ctrl+C cancels only its own', async () => {
    const { services, dir } = project()
    const call = async <T>(answer: Promise<Envelope<T>>) => unwrap(await answer)
    const importFolder = (folder: string) => () => call(services.call('import.start', { folder }))

    // An import, followed to its end: its own report comes back with it.
    const photos = join(dir, 'photos')
    await writeGroups(photos, splitGroups({ train: [12, 12], val: [4, 4] }))
    const first = await followJob(services, importFolder(photos), () => {}, never)
    expect(first.outcome).toMatchObject({ jobId: first.started.jobId, kind: 'import', state: 'done' })
    expect(first.outcome.result).toMatchObject({ kind: 'import', report: { folder: photos, imported: 32, cancelled: false } })

    // A long training run is followed; meanwhile an import of another folder starts and ends.
    const stopTraining = new AbortController()
    let trainingEnded = false
    let running: () => void = () => {}
    const trainingRuns = new Promise<void>((resolve) => (running = resolve))
    const training = followJob(
      services,
      () => call(services.call('train.start', { settings: { epochs: 1000, imageSize: 18 } })),
      (progress) => progress.state === 'running' && running(),
      stopTraining.signal
    ).finally(() => (trainingEnded = true))
    await trainingRuns

    const more = join(dir, 'more')
    await writeGroups(more, [{ dir: 'red', look: 'red', count: 3 }])
    const second = await followJob(services, importFolder(more), () => {}, never)
    expect(second.outcome).toMatchObject({ jobId: second.started.jobId, state: 'done', result: { report: { imported: 3 } } })
    expect(trainingEnded).toBe(false)

    // Ctrl+C while following a third job (an import) cancels that import, not the training run.
    const many = join(dir, 'many')
    await writeGroups(many, [{ dir: 'blue', look: 'blue', count: 200 }])
    const interrupt = new AbortController()
    const seen: JobProgress[] = []
    const third = await followJob(
      services,
      importFolder(many),
      (progress) => {
        seen.push(progress)
        // Once the folder is walked and files are being imported: a cancelled import then has a report.
        if (progress.total !== null) interrupt.abort()
      },
      interrupt.signal
    )
    expect(third.outcome).toMatchObject({ jobId: third.started.jobId, state: 'cancelled', result: { report: { cancelled: true } } })
    expect(new Set(seen.map((progress) => progress.jobId))).toEqual(new Set([third.started.jobId]))
    expect(trainingEnded).toBe(false)
    expect((await call(services.call('jobs.list', {}))).filter((job) => job.kind === 'train').map((job) => job.state)).toEqual(['running'])

    // Its own Ctrl+C ends the training run, and the helper answers with that job's end.
    stopTraining.abort()
    const trained = await training
    expect(trained.outcome).toMatchObject({ jobId: trained.started.jobId, kind: 'train', state: 'cancelled' })
  }, 120_000)
})
