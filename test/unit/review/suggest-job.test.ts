import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type { Database } from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushEvent } from '../../../src-main/contract/events'
import type { MethodName, RequestOf, ResponseOf } from '../../../src-main/contract/methods'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { unlabeledImages, writeSuggestions } from '../../../src-main/db/queries/suggestions'
import { predictImages } from '../../../src-main/classifier/predict-images'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { suggestWith, type SuggestInput } from '../../../src-main/review/suggest-job'
import { createServices } from '../../../src-main/services/services'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, trainSettings } from '../../helpers/training-project'

// The suggest job on a real project: reddish and bluish PNGs, 16 labeled (train/red, train/blue) and
// 10 unlabeled (5 red at the top of the folder, 5 blue in test/), a tiny CNN trained a few steps.

let dir: string
let projectPath: string
let runId: number
/** A CNN never reads base models, so the models folder need not exist. */
const modelsDir = join(tmpdir(), 'pictor-test-no-models')
let redClass: number
let blueClass: number

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-suggest-')
  projectPath = (
    await createTrainingProject(join(dir, 'project'), [
      { dir: 'train/red', look: 'red', count: 8 },
      { dir: 'train/blue', look: 'blue', count: 8 },
      { dir: '.', look: 'red', count: 5 },
      { dir: 'test', look: 'blue', count: 5 }
    ])
  ).projectPath
  const settings = trainSettings({ epochs: 3 })
  runId = queueRun(projectPath, settings)
  await trainingJob({ projectPath, modelsDir, runId, settings, resume: false }, recordingContext())
  ;[redClass, blueClass] = withProjectDb(projectPath, (db) =>
    ['red', 'blue'].map((name) => db.prepare('SELECT id FROM classes WHERE name = ?').pluck().get(name) as number)
  ) as [number, number]
}, 120_000)

afterAll(() => removeTempDir(dir))

async function withDb<T>(use: (db: Database) => Promise<T>): Promise<T> {
  const db = openProjectDatabase(projectPath)
  try {
    return await use(db)
  } finally {
    db.close()
  }
}

interface StoredSuggestion {
  imageId: number
  relPath: string
  runId: number
  classId: number
  confidence: number
  computedAt: number
}
const storedSuggestions = (): StoredSuggestion[] =>
  withProjectDb(
    projectPath,
    (db) =>
      db
        .prepare(
          `SELECT sg.image_id AS imageId, i.rel_path AS relPath, sg.run_id AS runId, sg.class_id AS classId,
                  sg.confidence, sg.computed_at AS computedAt
           FROM suggestions sg JOIN images i ON i.id = sg.image_id ORDER BY sg.image_id`
        )
        .all() as StoredSuggestion[]
  )

const input = (extra: Partial<SuggestInput> = {}): SuggestInput => ({ projectPath, modelsDir, runId, backend: 'wasm', ...extra })

describe('the suggest job', () => {
  it('suggests every unlabeled image, only those, with the most probable class and its probability', async () => {
    // A stale suggestion for a labeled image, from an earlier job: a finished job replaces it.
    const labeledId = withProjectDb(projectPath, (db) => db.prepare("SELECT image_id FROM labels LIMIT 1").pluck().get() as number)
    withProjectDb(projectPath, (db) => writeSuggestions(db, runId, [{ imageId: labeledId, classId: redClass, confidence: 0.5 }], 1))
    const before = tf.memory().numTensors
    const context = recordingContext()
    const result = await withDb((db) => suggestWith(db, input({ batchSize: 4 }), context))
    expect(tf.memory().numTensors).toBe(before)
    expect(result).toMatchObject({ runId, total: 10, suggested: 10, failed: [], engine: 'tfjs-wasm' })

    const unlabeled = withProjectDb(projectPath, (db) => unlabeledImages(db))
    const stored = storedSuggestions()
    expect(stored.map((row) => row.imageId)).toEqual(unlabeled.map((image) => image.imageId))
    expect(new Set(stored.map((row) => row.computedAt)).size).toBe(1)

    // Confidence = the largest probability, class = the class id of that output unit.
    const expected = await withDb(async (db) => {
      const classifier = await loadRunClassifier(db, runId, { modelsDir, backend: 'wasm' })
      try {
        const { probabilities } = await predictImages(db, classifier, unlabeled, { signal: new AbortController().signal, modelsDir })
        return new Map(
          [...probabilities].map(([imageId, probs]) => {
            const best = probs.indexOf(Math.max(...probs))
            return [imageId, { classId: classifier.classIds[best]!, confidence: probs[best]! }]
          })
        )
      } finally {
        classifier.dispose()
      }
    })
    for (const row of stored) {
      expect(row.classId).toBe(expected.get(row.imageId)!.classId)
      expect(row.confidence).toBeCloseTo(expected.get(row.imageId)!.confidence, 6)
      expect(row.confidence).toBeGreaterThanOrEqual(0.5)
      // The model learned the looks: red images at the top of the folder, blue ones in test/.
      expect(row.classId, row.relPath).toBe(row.relPath.startsWith('test/') ? blueClass : redClass)
    }

    // Progress: counts up to the total in batches, with a message.
    const counted = context.updates.filter((update) => update.total === 10)
    expect(counted.map((update) => update.done)).toEqual([...counted.map((update) => update.done)].sort((a, b) => a - b))
    expect(counted.at(-1)).toMatchObject({ done: 10, message: 'Suggested 10 of 10 unlabeled images' })
    expect(counted.filter((update) => update.message.startsWith('Suggested')).map((update) => update.done)).toEqual([4, 8, 10])
  }, 60_000)

  it('a cancelled job keeps the batches it wrote and leaves older suggestions in place', async () => {
    const oldAt = storedSuggestions()[0]!.computedAt
    const context = recordingContext((update) => update.message.startsWith('Suggested 2 '))
    const outcome = await withDb((db) => suggestWith(db, input({ batchSize: 2 }), context)).catch((error: unknown) => error)
    expect(outcome).toMatchObject({ code: 'CANCELLED' })
    const stored = storedSuggestions()
    expect(stored).toHaveLength(10)
    const times = stored.map((row) => row.computedAt)
    expect(times.filter((at) => at !== oldAt)).toHaveLength(2)
    expect(times.filter((at) => at === oldAt)).toHaveLength(8)
  }, 60_000)
})

describe('suggestions through the services (the built worker)', () => {
  it('computes in a worker, announces it, and accepting all ≥ 0% labels the ten images as one undo step', async () => {
    const services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
    const events: PushEvent[] = []
    services.events.subscribe((event) => events.push(event))
    const call = async <M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> => {
      const envelope = await services.call(method, request)
      if (!envelope.ok) throw new Error(`${method}: ${envelope.error.code}: ${envelope.error.message}`)
      return envelope.value
    }
    try {
      await call('project.open', { path: projectPath })
      const { jobId, runId: chosen } = await call('suggestions.compute', {})
      expect(chosen).toBe(runId)
      const busy = await services.call('suggestions.compute', {})
      expect(busy).toMatchObject({ ok: false, error: { code: 'BUSY' } })
      const announced = () =>
        events.some((e) => e.name === 'library.changed' && (e as PushEvent<'library.changed'>).payload.reason === 'suggestions')
      await expect.poll(announced, { timeout: 30_000 }).toBe(true)
      const last = events
        .filter((e): e is PushEvent<'job.progress'> => e.name === 'job.progress')
        .filter((e) => e.payload.jobId === jobId)
        .at(-1)!
      expect(last.payload).toMatchObject({ kind: 'suggest', state: 'done', done: 10, total: 10 })

      const summary = await call('suggestions.summary', {})
      expect(summary).toMatchObject({ runId, count: 10 })
      expect(summary!.atLeast[0]).toBe(10)
      const byUncertainty = await call('images.query', { status: 'ok', sort: 'uncertainty', label: 'unlabeled' })
      const details = await call('images.get', { ids: byUncertainty.ids })
      const confidences = details.map((d) => d.suggestion!.confidence)
      expect(confidences).toEqual(confidences.toSorted((a, b) => a - b))

      const change = await call('suggestions.accept', { minConfidence: 0 })
      expect(change.imageIds).toHaveLength(10)
      const origins = withProjectDb(projectPath, (db) => db.prepare('SELECT origin, count(*) AS n FROM labels GROUP BY origin ORDER BY origin').all())
      expect(origins).toEqual([
        { origin: 'folder', n: 16 },
        { origin: 'model', n: 10 }
      ])
      expect(await call('suggestions.summary', {})).toMatchObject({ count: 0 })
      expect(await services.call('suggestions.compute', {})).toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/nothing to suggest/) }
      })
      await call('labels.undo', {})
      expect(withProjectDb(projectPath, (db) => db.prepare('SELECT count(*) FROM labels').pluck().get())).toBe(16)
      expect(await call('suggestions.summary', {})).toMatchObject({ count: 10 })
    } finally {
      services.close()
    }
  }, 90_000)
})
