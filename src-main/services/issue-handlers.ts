import { existsSync } from 'node:fs'
import type { LabelIssue, LabelIssueReport } from '../contract/types'
import { IMPORTED_MODEL_KIND } from '../contract/run-import'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { acceptedSince, recordIssueDecision } from '../db/queries/label-issue-decisions'
import { getLabelIssueScan, labelsChangedSince } from '../db/queries/label-issue-scans'
import { getLabelIssue, listLabelIssues } from '../db/queries/label-issues'
import { currentLabels } from '../db/queries/labels'
import { getRobustnessReport } from '../db/queries/robustness-reports'
import { latestRunWithModel } from '../db/queries/training-runs'
import { writeTransaction } from '../db/transaction'
import { runWithModel } from '../classifier/run-choice'
import { runInWorker } from '../jobs/worker-job'
import { NO_BASE_MODEL, type LabelIssuesInput, type LabelIssuesResult } from '../review/label-issues-job'
import labelIssuesWorkerPath from '../workers/label-issues-worker?modulePath'
import { ROBUSTNESS_NEEDS_TFJS, type RobustnessInput, type RobustnessResult } from '../review/robustness-job'
import robustnessWorkerPath from '../workers/robustness-worker?modulePath'
import { locateBaseModel } from '../classifier/features/base-model'
import type { ServiceContext } from './context'
import { Labeling } from './labeling'
import { requireImages, requireRun } from './records'

type Methods = 'review.findLabelIssues' | 'review.labelIssues' | 'review.decideIssue' | 'review.checkRobustness' | 'review.robustness'

export function issueHandlers({ session, jobs, events, modelsDir, cacheDir }: ServiceContext): Pick<Handlers, Methods> {
  const labeling = new Labeling(() => session.db)

  const projectPath = (): string => {
    const project = session.summary
    if (!project) throw new AppError('NO_PROJECT', 'open a project first')
    return project.path
  }


  const report = (): LabelIssueReport | null => {
    const scan = getLabelIssueScan(session.db)
    if (!scan) return null
    return {
      computedAt: scan.computedAt,
      folds: scan.folds,
      examined: scan.examined,
      issues: listLabelIssues(session.db),
      stale: labelsChangedSince(session.db, scan.computedAt, acceptedSince(session.db, scan.computedAt))
    }
  }

  const decide = (imageId: number, decision: 'accept' | 'reject'): LabelIssue => {
    requireImages(session.db, [imageId])
    const issue = getLabelIssue(session.db, imageId)
    if (!issue) throw new AppError('NOT_FOUND', `image ${imageId} is not among the suspected label errors`)
    const db = session.db
    const current = currentLabels(db, [imageId]).get(imageId) ?? null
    if (decision === 'accept' && current !== issue.givenClassId && current !== issue.suggestedClassId) {
      // Relabeled by hand since the scan: accepting would overwrite a choice the scan never saw.
      throw new AppError('INVALID_REQUEST', `image ${imageId} was relabeled since the scan; look for label errors again`)
    }
    if (decision === 'reject') {
      recordIssueDecision(db, imageId, issue.givenClassId, 'rejected')
      return getLabelIssue(db, imageId)!
    }
    // The relabel goes through the labeling service (one undoable action, like a key press in the
    // Label view) and the verdict lands with it, or neither does.
    const change = writeTransaction(db, () => {
      const made = labeling.assign([imageId], issue.suggestedClassId)
      recordIssueDecision(db, imageId, issue.givenClassId, 'accepted')
      return made
    })
    if (change.imageIds.length > 0) events.emit('labels.changed', change)
    return getLabelIssue(db, imageId)!
  }

  return {
    'review.findLabelIssues': async ({ folds }) => {
      const path = projectPath()
      if (jobs.isRunning('label-issues')) throw new AppError('BUSY', 'label errors are already being looked for; cancel that or wait')
      if (!existsSync(await locateBaseModel(modelsDir))) throw new AppError('NOT_FOUND', NO_BASE_MODEL)
      const input: LabelIssuesInput = { projectPath: path, modelsDir, cacheDir, folds }
      const { jobId, done } = jobs.start('label-issues', (context) =>
        runInWorker<LabelIssuesInput, LabelIssuesResult>(labelIssuesWorkerPath, input, context)
      )
      // Extraction fills the feature cache even when the scan is cancelled: views re-read either way.
      const finished = () => events.emit('library.changed', { reason: 'label issues' })
      done.then(finished, finished)
      return { jobId }
    },
    'review.labelIssues': () => report(),
    'review.decideIssue': ({ imageId, decision }) => decide(imageId, decision),
    'review.checkRobustness': ({ runId, count }) => {
      const path = projectPath()
      if (jobs.isRunning('robustness')) throw new AppError('BUSY', 'a robustness check is already running; cancel it or wait')
      const run = runWithModel(session.db, runId, 'to check (robustness perturbs a finished run’s test images)')
      if (run.modelKind === IMPORTED_MODEL_KIND) throw new AppError('UNSUPPORTED', ROBUSTNESS_NEEDS_TFJS(run.id))
      const chosen = run.id
      const input: RobustnessInput = { projectPath: path, modelsDir, runId: chosen, count }
      const { jobId, done } = jobs.start('robustness', (context) =>
        runInWorker<RobustnessInput, RobustnessResult>(robustnessWorkerPath, input, context)
      )
      const finished = () => events.emit('library.changed', { reason: 'robustness' })
      done.then(finished, finished)
      return { runId: chosen, jobId }
    },
    'review.robustness': ({ runId }) => {
      const chosen = runId === undefined ? latestRunWithModel(session.db) : requireRun(session.db, runId).id
      return chosen === undefined ? null : getRobustnessReport(session.db, chosen)
    }
  }
}
