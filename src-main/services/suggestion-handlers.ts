import type { LabelChange } from '../contract/types'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { getClass } from '../db/queries/classes'
import { writeTransaction } from '../db/transaction'
import { hasUnlabeledImages, suggestionSummary, suggestionsAtLeast, suggestionsFor, type SuggestionRow } from '../db/queries/suggestions'
import { runWithModel } from '../classifier/run-choice'
import { runInWorker } from '../jobs/worker-job'
import type { SuggestInput, SuggestResult } from '../review/suggest-job'
import suggestWorkerPath from '../workers/suggest-worker?modulePath'
import type { ServiceContext } from './context'
import { Labeling } from './labeling'
import { requireImages } from './records'

type Methods = 'suggestions.compute' | 'suggestions.summary' | 'suggestions.accept'

export function suggestionHandlers({ session, jobs, events, modelsDir, cacheDir }: ServiceContext): Pick<Handlers, Methods> {
  const labeling = new Labeling(() => session.db)

  const accept = (rows: SuggestionRow[], what: string): LabelChange => {
    if (rows.length === 0) throw new AppError('INVALID_REQUEST', `nothing to accept: ${what}`)
    const description = describe(rows, (classId) => getClass(session.db, classId)?.name ?? `class ${classId}`)
    return labeling.assignEach(rows, description, 'model')
  }

  return {
    'suggestions.compute': ({ runId }) => {
      const project = session.summary
      if (!project) throw new AppError('NO_PROJECT', 'open a project first')
      if (jobs.isRunning('suggest')) throw new AppError('BUSY', 'suggestions are already being computed; cancel them or wait')
      const chosen = runWithModel(session.db, runId, 'to suggest labels with').id
      if (!hasUnlabeledImages(session.db)) throw new AppError('INVALID_REQUEST', 'every usable image is labeled: there is nothing to suggest')
      const input: SuggestInput = { projectPath: project.path, modelsDir, cacheDir, runId: chosen }
      const { jobId, done } = jobs.start('suggest', (context) => runInWorker<SuggestInput, SuggestResult>(suggestWorkerPath, input, context))
      // A cancelled or failed job may still have written some batches: the grid must re-read either way.
      const finished = () => events.emit('library.changed', { reason: 'suggestions' })
      done.then(finished, finished)
      return { runId: chosen, jobId }
    },
    'suggestions.summary': () => suggestionSummary(session.db),
    // What to accept is read in the write transaction that accepts it: nothing can change in between.
    'suggestions.accept': ({ imageIds, minConfidence }) => {
      const change = writeTransaction(session.db, () => {
        if (imageIds === undefined) {
          const percent = Number((minConfidence! * 100).toFixed(1))
          return accept(suggestionsAtLeast(session.db, minConfidence!), `no unlabeled image has a suggestion at or above ${percent}% confidence`)
        }
        requireImages(session.db, imageIds)
        return accept(suggestionsFor(session.db, imageIds), 'none of these images is unlabeled with a suggestion')
      })
      if (change.imageIds.length > 0) events.emit('labels.changed', change)
      return change
    }
  }
}

/** "Accept the suggestion for 1 image (cat)" / "Accept 40 suggestions (cat 25, dog 15)". */
function describe(rows: readonly SuggestionRow[], nameOf: (classId: number) => string): string {
  const perClass = new Map<number, number>()
  for (const row of rows) perClass.set(row.classId, (perClass.get(row.classId) ?? 0) + 1)
  const parts = [...perClass].sort((a, b) => b[1] - a[1]).map(([classId, n]) => `${nameOf(classId)} ${n}`)
  if (rows.length === 1) return `Accept the suggestion for 1 image (${nameOf(rows[0]!.classId)})`
  const shown = parts.length > 4 ? [...parts.slice(0, 4), '…'] : parts
  return `Accept ${rows.length} suggestions (${shown.join(', ')})`
}
