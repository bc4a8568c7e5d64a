import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Evaluation } from '../../../src-main/contract/types'
import { decodeProbabilities } from '../../../src-main/db/queries/predictions'
import { evaluateRun } from '../../../src-main/review/evaluate-job'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { createServices, type Services } from '../../../src-main/services/services'
import { fixturePath } from '../../helpers/image-fixtures'
import { runImport, withProjectDb, type ImportSetup } from '../../helpers/import-project'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, lookPng, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'
import { serviceCalls } from '../../helpers/service-calls'

// The evaluate job and the Review read side on a real project: images imported by the real importer,
// a seed CNN trained for two epochs by the real train job, evaluated in its worker thread through the
// services, then relabeled, re-imported and re-evaluated to prove metrics follow the current labels.

let dir: string
let setup: ImportSetup
let runId: number
let services: Services

const { call, failureOf, finished } = serviceCalls(() => services)

const stored = () =>
  withProjectDb(setup.projectPath, (db) =>
    db
      .prepare(
        `SELECT p.image_id AS imageId, p.probabilities, p.predicted_index AS predictedIndex, p.confidence,
                l.class_id AS classId, i.split
         FROM predictions p JOIN labels l ON l.image_id = p.image_id JOIN images i ON i.id = p.image_id
         WHERE p.run_id = ? ORDER BY p.image_id`
      )
      .all(runId) as { imageId: number; probabilities: Buffer; predictedIndex: number; confidence: number; classId: number; split: string }[]
  )

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-evaluate-')
  setup = await createTrainingProject(join(dir, 'project'), splitGroups({ train: [10, 10], val: [2, 2], test: [5, 5] }))
  const settings = trainSettings({ epochs: 2 })
  runId = queueRun(setup.projectPath, settings)
  await trainingJob({ projectPath: setup.projectPath, modelsDir: join(dir, 'models'), runId, settings, resume: false }, recordingContext())
  services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  await call('project.open', { path: setup.projectPath })
}, 180_000)

afterAll(() => {
  services?.close()
  removeTempDir(dir)
})

describe('review.evaluate and the Review read side', () => {
  let first: Evaluation

  it('answers null before an evaluation, NOT_FOUND for a missing run and INVALID_REQUEST for a run without a model', async () => {
    expect(await call('review.evaluation', { split: 'test' })).toBeNull()
    expect(await call('review.topLoss', { split: 'all', limit: 10 })).toEqual([])
    expect(await failureOf('review.evaluate', { runId: 999 })).toMatchObject({ code: 'NOT_FOUND', message: 'run 999 does not exist' })
    const queued = queueRun(setup.projectPath, trainSettings())
    expect(await failureOf('review.evaluate', { runId: queued })).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/no trained model/) })
    await call('runs.delete', { runId: queued })
  })

  it('evaluates the latest finished run in a worker and stores one probability row per labeled image', { timeout: 60_000 }, async () => {
    const announced = new Promise<string>((resolve) => {
      const unsubscribe = services.events.subscribe((event) => {
        if (event.name !== 'library.changed') return
        unsubscribe()
        resolve((event.payload as { reason: string }).reason)
      })
    })
    const started = await call('review.evaluate', {})
    expect(started.runId).toBe(runId)
    const outcome = await finished(started.jobId)
    expect(outcome).toMatchObject({ kind: 'evaluate', state: 'done', done: 34, total: 34 })
    expect(await announced).toBe('evaluation')
    const rows = stored()
    expect(rows).toHaveLength(34)
    for (const row of rows) {
      const probabilities = decodeProbabilities(row.probabilities)
      expect(probabilities).toHaveLength(2)
      expect(probabilities[0]! + probabilities[1]!).toBeCloseTo(1, 5)
      const argmax = probabilities[1]! > probabilities[0]! ? 1 : 0
      expect(row.predictedIndex).toBe(argmax)
      expect(row.confidence).toBeCloseTo(probabilities[argmax]!, 6)
    }
  })

  it('scores the stored predictions: accuracy is the fraction of argmax == label, per split', async () => {
    const rows = stored()
    first = (await call('review.evaluation', { split: 'test' }))!
    expect(first).toMatchObject({ runId, split: 'test', count: 10, unscored: 0, stale: false, engine: 'tfjs-wasm' })
    expect(first.labels.toSorted()).toEqual(['blue', 'red'])
    for (const split of ['test', 'all'] as const) {
      const evaluation = (await call('review.evaluation', { split }))!
      const inSplit = rows.filter((row) => split === 'all' || row.split === split)
      const right = inSplit.filter((row) => evaluation.classIds[row.predictedIndex] === row.classId).length
      expect(evaluation.count).toBe(inSplit.length)
      expect(evaluation.accuracy).toBeCloseTo(right / inSplit.length, 12)
      expect(evaluation.confusion.flat().reduce((a, b) => a + b, 0)).toBe(inSplit.length)
      expect(evaluation.perClass.map((entry) => entry.support)).toEqual(evaluation.confusion.map((row) => row.reduce((a, b) => a + b, 0)))
    }
    expect((await call('review.evaluation', { split: 'all' }))!.count).toBe(34)
    expect(first.perClass.map((entry) => entry.support)).toEqual([5, 5])
  })

  it('lists a confusion cell most confident first and top losses highest first', async () => {
    const [a, b] = first.classIds as [number, number]
    let listed = 0
    for (const trueClassId of [a, b]) {
      for (const predictedClassId of [a, b]) {
        const items = await call('review.cell', { runId, split: 'test', trueClassId, predictedClassId, limit: 100 })
        const row = first.classIds.indexOf(trueClassId)
        const column = first.classIds.indexOf(predictedClassId)
        expect(items).toHaveLength(first.confusion[row]![column]!)
        for (const item of items) expect(item).toMatchObject({ trueClassId, predictedClassId, split: 'test' })
        expect(items.map((item) => item.confidence)).toEqual(items.map((item) => item.confidence).toSorted((x, y) => y - x))
        listed += items.length
      }
    }
    expect(listed).toBe(10)
    expect(await failureOf('review.cell', { runId, split: 'test', trueClassId: a, predictedClassId: 999, limit: 5 })).toMatchObject({
      code: 'NOT_FOUND',
      message: 'class 999 does not exist'
    })

    const top = await call('review.topLoss', { split: 'all', limit: 5 })
    expect(top).toHaveLength(5)
    const losses = top.map((item) => item.loss!)
    expect(losses).toEqual(losses.toSorted((x, y) => y - x))
    for (const item of top) expect(item.loss).toBeCloseTo(-Math.log(item.trueProbability!), 6)
    // The worst image of all 34 is first: no stored prediction has a higher loss.
    const worst = Math.max(
      ...stored().map((row) => -Math.log(decodeProbabilities(row.probabilities)[first.classIds.indexOf(row.classId)]!))
    )
    expect(top[0]!.loss).toBeCloseTo(worst, 5)
  })

  it('follows a relabel at once, without re-evaluating, and marks the evaluation stale', async () => {
    const [a, b] = first.classIds as [number, number]
    const rowA = [
      ...(await call('review.cell', { runId, split: 'test', trueClassId: a, predictedClassId: a, limit: 100 })),
      ...(await call('review.cell', { runId, split: 'test', trueClassId: a, predictedClassId: b, limit: 100 }))
    ]
    const moved = rowA[0]!
    const column = first.classIds.indexOf(moved.predictedClassId)
    await call('labels.assign', { imageIds: [moved.imageId], classId: b })
    const after = (await call('review.evaluation', { split: 'test' }))!
    expect(after.computedAt).toBe(first.computedAt)
    expect(after.stale).toBe(true)
    // One image left row a for row b, in the same column: its prediction did not change.
    expect(after.confusion[0]![column]).toBe(first.confusion[0]![column]! - 1)
    expect(after.confusion[1]![column]).toBe(first.confusion[1]![column]! + 1)
    expect(after.perClass.map((entry) => entry.support)).toEqual([4, 6])
    const cell = await call('review.cell', { runId, split: 'test', trueClassId: b, predictedClassId: moved.predictedClassId, limit: 100 })
    const item = cell.find((entry) => entry.imageId === moved.imageId)!
    expect(item).toMatchObject({ trueClassId: b, confidence: moved.confidence })
    // Two classes: p(new label b) = 1 − p(a) as stored.
    expect(item.trueProbability).toBeCloseTo(1 - moved.trueProbability!, 5)
  })

  it('counts newly imported images as unscored, and shows a renamed class under its new name', async () => {
    writeFileSync(fixturePath(setup.folder, 'test/blue/late-arrival.png'), await lookPng('blue', 9_999))
    const report = await runImport(setup)
    expect(report.imported).toBe(1)
    const later = (await call('review.evaluation', { split: 'test' }))!
    expect(later).toMatchObject({ count: 10, unscored: 1 })
    expect((await call('review.evaluation', { split: 'train' }))!.unscored).toBe(0)

    const [a] = first.classIds as [number]
    const name = first.labels[0]!
    await call('classes.update', { id: a, name: 'renamed' })
    const renamed = (await call('review.evaluation', { split: 'test' }))!
    expect(renamed.labels[0]).toBe('renamed')
    expect(renamed.perClass[0]!.name).toBe('renamed')
    expect(renamed.confusion).toEqual(later.confusion)
    // Runs name their classes; re-evaluating needs the trained names back (see run-classifier.ts).
    await call('classes.update', { id: a, name })
  })

  it('refuses a second evaluation while one runs, and a cancelled one leaves the previous evaluation intact', { timeout: 60_000 }, async () => {
    const before = stored()
    const evaluation = (await call('review.evaluation', { split: 'all' }))!
    const started = await call('review.evaluate', { runId })
    expect(await failureOf('review.evaluate', { runId })).toMatchObject({ code: 'BUSY' })
    await call('jobs.cancel', { jobId: started.jobId })
    expect(await finished(started.jobId)).toMatchObject({ state: 'cancelled' })
    expect(stored()).toEqual(before)
    expect((await call('review.evaluation', { split: 'all' }))!.computedAt).toBe(evaluation.computedAt)
  })

  it('re-evaluating replaces the predictions: the late image is scored, nothing is left unscored', { timeout: 60_000 }, async () => {
    const started = await call('review.evaluate', { runId })
    expect(await finished(started.jobId)).toMatchObject({ state: 'done', total: 35 })
    const evaluation = (await call('review.evaluation', { split: 'test' }))!
    expect(evaluation).toMatchObject({ count: 11, unscored: 0 })
    expect(evaluation.computedAt).toBeGreaterThan(first.computedAt)
    expect(stored()).toHaveLength(35)
  })

  it('in-process: cancelling mid-prediction writes nothing and leaks no tensors; a damaged file is skipped and counted', { timeout: 60_000 }, async () => {
    const before = stored()
    const tensors = tf.memory().numTensors
    const context = recordingContext((update) => update.message.startsWith('Predicting:'))
    const input = { projectPath: setup.projectPath, modelsDir: join(dir, 'models'), runId, backend: 'wasm' as const }
    await expect(evaluateRun(input, context)).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(stored()).toEqual(before)
    expect(tf.memory().numTensors).toBe(tensors)

    // A file damaged since import: the evaluation skips it and says so.
    const victim = withProjectDb(setup.projectPath, (db) => db.prepare("SELECT rel_path FROM images WHERE rel_path LIKE 'train/%' ORDER BY id LIMIT 1").pluck().get() as string)
    writeFileSync(join(setup.folder, victim), 'not a png any more')
    const result = await evaluateRun(input, recordingContext())
    expect(result.skipped).toBeGreaterThanOrEqual(1)
    expect(result.predicted + result.skipped).toBe(35)
    expect(tf.memory().numTensors).toBe(tensors)
    expect(stored()).toHaveLength(result.predicted)
  })
})
