import { describe, expect, it } from 'vitest'
import { createRun, finishRun } from '../../../src-main/db/queries/training-runs'
import { useLabelingProject } from '../../helpers/labeling-project'
import { trainSettings } from '../../helpers/training-project'

// Issue 14, finding 6: Review opened the newest run, not the one worth reviewing. Through the real
// services on a real project file: the run last reviewed is remembered per project (and forgotten
// with the run), otherwise the best by test accuracy, else by validation accuracy, else the newest.

const project = useLabelingProject()

/** A finished run with a stored model and these accuracies (null: none measured). */
function trainedRun(testAccuracy: number | null, valAccuracy: number | null, status: 'done' | 'failed' = 'done'): number {
  const db = project().db()
  const runId = createRun(db, { modelKind: 'cnn', settings: trainSettings(), classNames: ['a', 'b'], backend: 'wasm' })
  finishRun(db, runId, status, { summary: { epochsRun: 1, bestEpoch: 0, testAccuracy, valAccuracy, imagesPerSecond: 1, stoppedEarly: false, notes: [] } })
  db.prepare("INSERT INTO run_models (run_id, topology, weight_specs, weights, saved_at) VALUES (?, '{}', '[]', x'00', 1)").run(runId)
  return runId
}

describe('the run Review opens', () => {
  it('is null before any run has a model, then the newest when no run has an accuracy', async () => {
    const p = project()
    expect(await p.value('review.openRun', {})).toBeNull()
    const first = trainedRun(null, null)
    const second = trainedRun(null, null)
    trainedRun(0.99, 0.99, 'failed') // not finished: never chosen
    expect(first).toBeLessThan(second)
    expect(await p.value('review.openRun', {})).toEqual({ runId: second, reason: 'latest' })
  })

  it('is the best by test accuracy where runs have one, else by validation accuracy; ties go to the newest', async () => {
    const p = project()
    const goodVal = trainedRun(null, 0.9)
    trainedRun(null, 0.6)
    expect(await p.value('review.openRun', {})).toEqual({ runId: goodVal, reason: 'validation' })
    // A test accuracy outranks any validation accuracy: it is the measure the user trusts.
    const bestTest = trainedRun(0.8, 0.5)
    trainedRun(0.7, 1)
    expect(await p.value('review.openRun', {})).toEqual({ runId: bestTest, reason: 'test' })
    const tie = trainedRun(0.8, 0.5)
    expect(await p.value('review.openRun', {})).toEqual({ runId: tie, reason: 'test' })
  })

  it('is the run last chosen in Review, after a restart too, until that run is deleted', async () => {
    const p = project()
    const chosen = trainedRun(0.5, 0.5)
    const best = trainedRun(0.9, 0.9)
    trainedRun(0.4, 0.4) // the newest, and the worst
    expect(await p.value('review.openRun', {})).toEqual({ runId: best, reason: 'test' })
    expect(await p.value('review.rememberRun', { runId: chosen })).toBeNull()
    expect(await p.value('review.openRun', {})).toEqual({ runId: chosen, reason: 'remembered' })
    await p.restart()
    expect(await p.value('review.openRun', {})).toEqual({ runId: chosen, reason: 'remembered' })
    await p.value('runs.delete', { runId: chosen })
    expect(p.db().prepare('SELECT review_run_id FROM project').pluck().get()).toBeNull()
    expect(await p.value('review.openRun', {})).toEqual({ runId: best, reason: 'test' })
  })

  it('forgets a deleted run even when its id is given to the next run trained', async () => {
    const p = project()
    const best = trainedRun(0.9, 0.9)
    const newest = trainedRun(0.3, 0.3)
    await p.value('review.rememberRun', { runId: newest })
    await p.value('runs.delete', { runId: newest })
    // SQLite hands the newest id out again: the new run is not the one the user chose.
    expect(trainedRun(0.2, 0.2)).toBe(newest)
    expect(await p.value('review.openRun', {})).toEqual({ runId: best, reason: 'test' })
  })

  it('remembers only a run there is something to review in', async () => {
    const p = project()
    const db = p.db()
    const unfinished = createRun(db, { modelKind: 'cnn', settings: trainSettings(), classNames: ['a', 'b'], backend: null })
    expect((await p.failure('review.rememberRun', { runId: 99_999 }, 'NOT_FOUND')).message).toBe('run 99999 does not exist')
    expect((await p.failure('review.rememberRun', { runId: unfinished }, 'INVALID_REQUEST')).message).toContain('has no trained model')
    expect(db.prepare('SELECT review_run_id FROM project').pluck().get()).toBeNull()
  })
})
