import type { RunSummary, TrainSettings } from '../contract/types'
import { trainSettingsSchema } from '../contract/train-settings'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { notFound } from '../core/not-found'
import { listClassesWithCounts } from '../db/queries/classes'
import { createRun, deleteRun, listRuns } from '../db/queries/training-runs'
import { runInWorker } from '../jobs/worker-job'
import type { TrainInput } from '../training/run-training'
import trainWorkerPath from '../workers/train-worker?modulePath'
import { augmentationPreview } from '../training/augmentation-preview'
import type { ServiceContext } from './context'
import { requireRun } from './records'

type TrainMethods = 'train.start' | 'train.resume' | 'train.augmentPreview' | 'runs.list' | 'runs.delete'

export function trainHandlers({ session, jobs, events, modelsDir }: ServiceContext): Pick<Handlers, TrainMethods> {
  /** The run the current training job works on, if any. */
  let activeRunId: number | null = null

  const launch = (runId: number, settings: TrainSettings, resume: boolean) => {
    const project = session.summary
    if (!project) throw new AppError('NO_PROJECT', 'open a project before training')
    const input: TrainInput = { projectPath: project.path, modelsDir, runId, settings, resume }
    activeRunId = runId
    const { jobId, done } = jobs.start('train', (context) => runInWorker(trainWorkerPath, input, context))
    const finished = () => {
      activeRunId = null
      events.emit('library.changed', { reason: 'training' })
    }
    done.then(finished, finished)
    return { runId, jobId }
  }

  const refuseIfBusy = () => {
    if (jobs.isRunning('train')) throw new AppError('BUSY', 'a model is already training; cancel it or wait')
  }

  const withLiveStatus = (run: RunSummary): RunSummary =>
    run.status === 'running' && run.id !== activeRunId ? { ...run, status: 'interrupted', resumable: run.resumable } : run

  return {
    'train.start': ({ settings }) => {
      refuseIfBusy()
      const full = trainSettingsSchema.parse(settings) as TrainSettings
      const classNames = listClassesWithCounts(session.db)
        .filter((item) => item.count > 0)
        .map((item) => item.name)
      if (classNames.length < 2) {
        throw new AppError('INVALID_REQUEST', 'training needs labeled images in at least two classes')
      }
      const runId = createRun(session.db, { modelKind: full.model, settings: full, classNames, backend: null })
      return launch(runId, full, false)
    },
    'train.resume': ({ runId }) => {
      refuseIfBusy()
      const run = requireRun(session.db, runId)
      if (!run.resumable) throw new AppError('INVALID_REQUEST', `run ${runId} has no checkpoint to resume from`)
      return launch(runId, trainSettingsSchema.parse(run.settings) as TrainSettings, true)
    },
    'train.augmentPreview': ({ count, seed }) => augmentationPreview(session.db, count, seed),
    'runs.list': () => listRuns(session.db).map(withLiveStatus),
    'runs.delete': ({ runId }) => {
      if (runId === activeRunId) throw new AppError('BUSY', 'cancel this run before deleting it')
      if (!deleteRun(session.db, runId)) throw notFound('run', runId)
      events.emit('library.changed', { reason: 'run deleted' })
      return null
    }
  }
}
