import type { RunSummary, TrainSettings } from '../contract/types'
import { recordedSettings, trainSettingsSchema } from '../contract/train-settings'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { notFound } from '../core/not-found'
import { listClassesWithCounts } from '../db/queries/classes'
import { createRun, deleteRun, getRunLease, listRuns, type RunLease } from '../db/queries/training-runs'
import { writeTransaction } from '../db/transaction'
import { runInWorker } from '../jobs/worker-job'
import type { TrainInput } from '../training/run-training'
import trainWorkerPath from '../workers/train-worker?modulePath'
import { augmentationPreview } from '../training/augmentation-preview'
import type { ServiceContext } from './context'
import { requireRun } from './records'
import { claimRun, holdLease, leaseIsLive, newLease, tryMarkInterruptedRuns } from './run-leases'

type TrainMethods = 'train.start' | 'train.resume' | 'train.augmentPreview' | 'runs.list' | 'runs.delete'

export function trainHandlers({ session, jobs, events, modelsDir, cacheDir }: ServiceContext): Pick<Handlers, TrainMethods> {
  /** The run the current training job works on, if any. */
  let activeRunId: number | null = null

  /** Starts the job on a run this process has just claimed (`lease`), and holds the lease while it runs. */
  const launch = (runId: number, settings: TrainSettings, resume: boolean, lease: RunLease, logs: Pick<TrainInput, 'logRoot' | 'histograms'> = {}) => {
    const project = session.summary
    if (!project) throw new AppError('NO_PROJECT', 'open a project before training')
    const input: TrainInput = { projectPath: project.path, modelsDir, cacheDir, runId, settings, resume, ...logs }
    activeRunId = runId
    const held = holdLease(session.db, runId, lease)
    const { jobId, done } = jobs.start('train', (context) => runInWorker(trainWorkerPath, input, context))
    const finished = () => {
      activeRunId = null
      held.end()
      events.emit('library.changed', { reason: 'training' })
    }
    done.then(finished, finished)
    return { runId, jobId }
  }

  const refuseIfBusy = () => {
    if (jobs.isRunning('train')) throw new AppError('BUSY', 'a model is already training; cancel it or wait')
  }

  return {
    'train.start': ({ settings, logRoot, histograms }) => {
      refuseIfBusy()
      const db = session.db
      const full = trainSettingsSchema.parse(settings) as TrainSettings
      const classNames = listClassesWithCounts(db)
        .filter((item) => item.count > 0)
        .map((item) => item.name)
      if (classNames.length < 2) {
        throw new AppError('INVALID_REQUEST', 'training needs labeled images in at least two classes')
      }
      // Created with its lease in one transaction: no other process ever sees it queued and unheld.
      const lease = newLease()
      const runId = writeTransaction(db, () => {
        const id = createRun(db, { modelKind: full.model, settings: full, classNames, backend: null })
        claimRun(db, id, lease)
        return id
      })
      return launch(runId, full, false, lease, { logRoot, histograms })
    },
    'train.resume': ({ runId }) => {
      refuseIfBusy()
      const db = session.db
      requireRun(db, runId)
      // Killed since the project was opened, it may still say 'running'.
      tryMarkInterruptedRuns(db)
      const run = requireRun(db, runId)
      if (!run.resumable) throw notResumable(run)
      const lease = newLease()
      writeTransaction(db, () => claimRun(db, runId, lease))
      // Same settings as the run was started with; without a checkpoint the job restarts it from scratch.
      return launch(runId, recordedSettings(run.settings) as TrainSettings, true, lease)
    },
    'train.augmentPreview': ({ count, seed }) => augmentationPreview(session.db, count, seed),
    'runs.list': () => {
      tryMarkInterruptedRuns(session.db)
      return listRuns(session.db)
    },
    'runs.delete': ({ runId }) => {
      // Another process may be training it right now (its lease is live): deleting would pull the rows from under it.
      const held = getRunLease(session.db, runId)?.lease ?? null
      if (runId === activeRunId || leaseIsLive(held)) throw new AppError('BUSY', `run ${runId} is training; cancel it before deleting it`)
      if (!deleteRun(session.db, runId)) throw notFound('run', runId)
      events.emit('library.changed', { reason: 'run deleted' })
      return null
    }
  }
}

function notResumable(run: RunSummary): AppError {
  if (run.status === 'running' || run.status === 'queued') return new AppError('BUSY', `run ${run.id} is being trained right now; wait for it or cancel it`)
  if (run.hasModel) return new AppError('INVALID_REQUEST', `run ${run.id} has finished; there is nothing to resume`)
  return new AppError('INVALID_REQUEST', `run ${run.id} ${run.status} before its first epoch finished; start a new run instead`)
}
