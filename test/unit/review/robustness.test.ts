import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { getRobustnessReport } from '../../../src-main/db/queries/robustness-reports'
import type { JobProgress } from '../../../src-main/contract/types'
import { createServices } from '../../../src-main/services/services'
import { EPSILONS } from '../../../src-main/review/fgsm'
import { chooseImages, runRobustness } from '../../../src-main/review/robustness-job'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { createRandom } from '../../../src-main/training/data/random'
import { trainingJob } from '../../../src-main/workers/training-job'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { fixturePath } from '../../helpers/image-fixtures'
import { runImport, setUpImport, withProjectDb } from '../../helpers/import-project'
import { queueRun, recordingContext, trainSettings } from '../../helpers/training-project'

// The robustness job on a real project: noisy grey PNGs tinted slightly warm or cool (so a model is
// right but not by a wide margin — red against blue would survive any ε here), decoded by sharp, a
// seed CNN trained a few epochs by the real training job, then FGSM at ε = 0 … 8/255 on the test split.

const NO_MODELS = join(makeTempDir('pictor-no-models-'), 'models')
let dir: string
let projectPath: string
let runId: number

beforeAll(async () => {
  dir = makeTempDir('pictor-robustness-')
  mkdirSync(join(dir, 'project'))
  const setup = setUpImport(join(dir, 'project'))
  for (const [split, count] of [['train', 40], ['test', 12]] as const) {
    for (const tint of ['warm', 'cool'] as const) {
      for (let i = 0; i < count; i++) writeFileSync(fixturePath(setup.folder, `${split}/${tint}/${i}.png`), await tintedPng(tint, seed++))
    }
  }
  expect((await runImport(setup)).imported).toBe(104)
  projectPath = setup.projectPath
  const settings = trainSettings({ epochs: 4 })
  runId = queueRun(projectPath, settings)
  await trainingJob({ projectPath, modelsDir: NO_MODELS, runId, settings, resume: false }, recordingContext())
}, 120_000)

afterAll(() => removeTempDir(dir))

let seed = 1

/** 20×20 grey noise (±40 per value) shifted 12 levels towards red (warm) or blue (cool). */
function tintedPng(tint: 'warm' | 'cool', seed: number): Promise<Buffer> {
  const shift = tint === 'warm' ? [12, 0, -12] : [-12, 0, 12]
  const random = createRandom(seed)
  const data = Buffer.alloc(20 * 20 * 3)
  for (let i = 0; i < data.length; i++) data[i] = Math.round(128 + shift[i % 3]! + (random() * 2 - 1) * 40)
  return sharp(data, { raw: { width: 20, height: 20, channels: 3 } }).png().toBuffer()
}

it('measures accuracy under FGSM on the test split: the clean accuracy at ε = 0, lower as ε grows', async () => {
  const context = recordingContext()
  const before = tf.memory().numTensors
  const result = await runRobustness({ projectPath, modelsDir: NO_MODELS, runId, count: 200, backend: 'wasm', batchSize: 5 }, context)
  expect(tf.memory().numTensors).toBe(before)
  expect(result).toMatchObject({ runId, split: 'test', count: 24, unreadable: 0 })
  expect(result.points.map((point) => point.epsilon)).toEqual(EPSILONS)
  console.log(
    `FGSM on a 4-epoch seed CNN, 24 test images: ${result.points.map((p) => `${Math.round(p.epsilon * 255)}/255 → ${p.accuracy.toFixed(3)}`).join(', ')}` +
      `; at each single step: ${result.atStep.map((p) => p.accuracy.toFixed(3)).join(', ')}`
  )
  expect(result.atStep[0]!.accuracy).toBe(result.points[0]!.accuracy)
  // Each point also carries plain one-step FGSM at exactly its ε, which hurts too on this model.
  expect(result.points.map((point) => point.singleStep)).toEqual(result.atStep.map((point) => point.accuracy))
  expect(result.points.at(-1)!.singleStep!).toBeLessThan(result.points[0]!.accuracy)

  // ε = 0 is the plain accuracy of the same images through the run's classifier.
  const db = openProjectDatabase(projectPath)
  const plain = await (async () => {
    const classifier = await loadRunClassifier(db, runId, { modelsDir: NO_MODELS, backend: 'wasm' })
    try {
      const { images } = chooseImages(db, classifier.classIds, 200, 1)
      let correct = 0
      for (const image of images) {
        const input = await classifier.preprocess(image.path)
        const predicted = tf.tidy(() => tf.argMax(classifier.model!.predict(tf.tensor4d(input, [1, ...classifier.inputShape])) as tf.Tensor, -1).dataSync()[0])
        if (predicted === image.label) correct++
      }
      return correct / images.length
    } finally {
      classifier.dispose()
      db.close()
    }
  })()
  expect(result.points[0]!.accuracy).toBe(plain)
  const accuracies = result.points.map((point) => point.accuracy)
  for (let i = 1; i < accuracies.length; i++) expect(accuracies[i]).toBeLessThanOrEqual(accuracies[i - 1]!)
  expect(accuracies.at(-1)!).toBeLessThan(accuracies[0]!)

  // Stored as the run's report; progress reached the end.
  expect(withProjectDb(projectPath, (db) => getRobustnessReport(db, runId))).toMatchObject({ runId, split: 'test', count: 24, points: result.points })
  expect(context.updates.at(-1)).toMatchObject({ done: 24, total: 24 })
}, 120_000)

it('stops with CANCELLED when cancelled, and keeps the previous report', async () => {
  const previous = withProjectDb(projectPath, (db) => getRobustnessReport(db, runId))
  const context = recordingContext((update) => update.done >= 5)
  await expect(runRobustness({ projectPath, modelsDir: NO_MODELS, runId, count: 200, backend: 'wasm', batchSize: 5 }, context)).rejects.toMatchObject({
    code: 'CANCELLED'
  })
  expect(withProjectDb(projectPath, (db) => getRobustnessReport(db, runId))).toEqual(previous)
}, 60_000)

it('runs through review.checkRobustness in its worker and answers review.robustness for the latest run', async () => {
  const services = createServices({ dataDir: join(dir, 'data'), transport: 'cli' })
  try {
    expect(await services.call('review.robustness', {})).toMatchObject({ ok: false, error: { code: 'NO_PROJECT' } })
    await services.call('project.open', { path: projectPath })
    let resolve!: (progress: JobProgress) => void
    const ended = new Promise<JobProgress>((r) => (resolve = r))
    const unsubscribe = services.events.subscribe((event) => {
      const progress = event.payload as JobProgress
      if (event.name === 'job.progress' && progress.kind === 'robustness' && progress.state !== 'running') resolve(progress)
    })
    const started = await services.call('review.checkRobustness', { count: 10 })
    expect(started).toMatchObject({ ok: true, value: { runId } })
    expect(await ended).toMatchObject({ state: 'done' })
    unsubscribe()
    const report = await services.call('review.robustness', {})
    expect(report).toMatchObject({ ok: true, value: { runId, split: 'test', count: 10 } })
    expect(report.ok && report.value!.points.map((point) => point.epsilon)).toEqual(EPSILONS)
    expect(await services.call('review.checkRobustness', { runId: runId + 100, count: 10 })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  } finally {
    services.close()
  }
}, 60_000)

it('falls back to the training images, and says so, when there is no test or validation split', () => {
  withProjectDb(projectPath, (db) => {
    db.prepare("UPDATE images SET split = 'train'").run()
    const classIds = db.prepare('SELECT id FROM classes ORDER BY position, id').pluck().all() as number[]
    // 104 training images: a run would hold out a tenth as validation, so those come first.
    const held = chooseImages(db, classIds, 200, 1)
    expect(held.split).toBe('val')
    expect(held.images.length).toBeGreaterThan(0)
    expect(held.images.length).toBeLessThan(104)
    db.prepare("UPDATE images SET split = 'train' WHERE id IN (SELECT id FROM images ORDER BY id LIMIT 10)").run()
    db.prepare("UPDATE images SET split = NULL, split_origin = NULL WHERE id NOT IN (SELECT id FROM images ORDER BY id LIMIT 10)").run()
    const fallback = chooseImages(db, classIds, 5, 1)
    expect(fallback).toMatchObject({ split: 'train', notes: [expect.stringContaining('optimistic')] })
    expect(fallback.images).toHaveLength(5)
  })
})
