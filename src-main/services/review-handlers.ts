import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { getRunEvaluation } from '../db/queries/run-evaluations'
import { runWithModel } from '../classifier/run-choice'
import { latestRunWithModel } from '../db/queries/training-runs'
import { runInWorker } from '../jobs/worker-job'
import type { EvaluateInput } from '../review/evaluate-job'
import { evaluationReport } from '../review/evaluate-report'
import evaluateWorkerPath from '../workers/evaluate-worker?modulePath'
import { cellItems, topLossItems } from '../review/review-items'
import { rememberReviewRun } from '../db/queries/review-run'
import { chooseReviewRun } from '../review/review-run-choice'
import type { ServiceContext } from './context'
import { requireClass, requireRun } from './records'

type Methods = 'review.evaluate' | 'review.evaluation' | 'review.cell' | 'review.topLoss' | 'review.openRun' | 'review.rememberRun'

/** Review: evaluate a run (a job), then read metrics and image lists from its stored predictions. */
export function reviewHandlers({ session, jobs, events, modelsDir, cacheDir }: ServiceContext): Pick<Handlers, Methods> {
  /** An explicit run must exist; a left-out run means the latest finished run with a model (undefined if none). */
  const resolveRun = (runId: number | undefined): number | undefined => {
    if (runId === undefined) return latestRunWithModel(session.db)
    return requireRun(session.db, runId).id
  }
  const storedEvaluation = (runId: number | undefined) => (runId === undefined ? undefined : getRunEvaluation(session.db, runId))

  return {
    'review.evaluate': ({ runId }) => {
      const project = session.summary
      if (!project) throw new AppError('NO_PROJECT', 'open a project before evaluating a model')
      if (jobs.isRunning('evaluate')) throw new AppError('BUSY', 'an evaluation is already running; cancel it or wait')
      const target = runWithModel(session.db, runId, 'to evaluate').id
      const input: EvaluateInput = { projectPath: project.path, modelsDir, cacheDir, runId: target }
      const { jobId, done } = jobs.start('evaluate', (context) => runInWorker(evaluateWorkerPath, input, context))
      done.then(
        () => events.emit('library.changed', { reason: 'evaluation' }),
        () => {}
      )
      return { runId: target, jobId }
    },
    'review.evaluation': ({ runId, split }) => {
      const target = resolveRun(runId)
      return target === undefined ? null : evaluationReport(session.db, target, split)
    },
    'review.cell': ({ runId, split, trueClassId, predictedClassId, limit }) => {
      const target = resolveRun(runId)
      // The ids first, then the state: a class that never existed is NOT_FOUND whatever the run's state.
      requireClass(session.db, trueClassId)
      requireClass(session.db, predictedClassId)
      const evaluation = storedEvaluation(target)
      if (!evaluation) throw new AppError('NOT_FOUND', `run ${runId} has not been evaluated yet`)
      return cellItems(session.db, evaluation, { split, trueClassId, predictedClassId, limit })
    },
    'review.topLoss': ({ runId, split, limit, mistakesOnly }) => {
      const evaluation = storedEvaluation(resolveRun(runId))
      return evaluation ? topLossItems(session.db, evaluation, { split, limit, mistakesOnly }) : []
    },
    'review.openRun': () => chooseReviewRun(session.db),
    'review.rememberRun': ({ runId }) => {
      rememberReviewRun(session.db, runWithModel(session.db, runId, 'to review').id)
      return null
    }
  }
}
