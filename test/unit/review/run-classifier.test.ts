import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { loadTrainingExamples } from '../../../src-main/db/queries/training-data'
import { predictImages } from '../../../src-main/classifier/predict-images'
import { loadRunClassifier, type RunClassifier } from '../../../src-main/classifier/run-classifier'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { openProjectDatabase } from '../../../src-main/db/connection'
import type { Database } from 'better-sqlite3'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups, trainSettings } from '../../helpers/training-project'

// The one loader every review feature uses: a real project, a real CNN run and a real transfer run,
// loaded back and predicted both ways (whole model on pixels, and features + head), which must agree.

let dir: string
let modelsDir: string
let projectPath: string
let cnnRun: number
let transferRunId: number

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-run-classifier-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [6, 6], test: [2, 2] }))).projectPath
  const cnn = trainSettings({ epochs: 2 })
  cnnRun = queueRun(projectPath, cnn)
  await trainingJob({ projectPath, modelsDir, runId: cnnRun, settings: cnn, resume: false }, recordingContext())
  const transfer = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224, backend: 'wasm', epochs: 3 }) as TrainSettings
  transferRunId = queueRun(projectPath, transfer)
  await trainingJob({ projectPath, modelsDir, runId: transferRunId, settings: transfer, resume: false }, recordingContext())
}, 180_000)

afterAll(() => removeTempDir(dir))

const images = () => withProjectDb(projectPath, (db) => loadTrainingExamples(db))

/** withProjectDb closes before a promise settles; these calls are async. */
async function withDb<T>(use: (db: Database) => Promise<T>): Promise<T> {
  const db = openProjectDatabase(projectPath)
  try {
    return await use(db)
  } finally {
    db.close()
  }
}

function withClassifier<T>(runId: number, use: (classifier: RunClassifier, db: Database) => Promise<T>): Promise<T> {
  return withDb(async (db) => {
    const classifier = await loadRunClassifier(db, runId, { modelsDir, backend: 'wasm' })
    try {
      return await use(classifier, db)
    } finally {
      classifier.dispose()
    }
  })
}

describe('loadRunClassifier + predictImages', () => {
  it('maps a CNN run to class ids and predicts probabilities for every image, without leaking tensors', async () => {
    const { classes, examples } = images()
    const before = tf.memory().numTensors
    await withClassifier(cnnRun, async (classifier, db) => {
      expect(classifier).toMatchObject({ kind: 'cnn', inputShape: [20, 20, 3], inputScale: 1, inputRange: [0, 1], head: null })
      expect(classifier.classIds).toEqual(classes.map((entry) => entry.id))
      const result = await predictImages(db, classifier, examples, { signal: new AbortController().signal, modelsDir })
      expect(result.failed).toEqual([])
      expect(result.engine).toBe('tfjs-wasm')
      expect(result.probabilities.size).toBe(examples.length)
      for (const probabilities of result.probabilities.values()) {
        expect(probabilities).toHaveLength(2)
        expect(probabilities[0]! + probabilities[1]!).toBeCloseTo(1, 5)
      }
      // A separable toy set: after two epochs most training images are right.
      const right = examples.filter((example) => {
        const p = result.probabilities.get(example.imageId)!
        return (p[1]! > p[0]! ? 1 : 0) === example.classIndex
      }).length
      expect(right / examples.length).toBeGreaterThan(0.7)
    })
    expect(tf.memory().numTensors).toBe(before)
  })

  it('predicts a transfer run from cached features exactly as its whole classifier does from pixels', async () => {
    const { examples } = images()
    await withClassifier(transferRunId, async (classifier, db) => {
      expect(classifier).toMatchObject({ kind: 'mobilenetv2', inputShape: [224, 224, 3], inputScale: 2, inputRange: [-1, 1] })
      expect(classifier.baseModelVersion).toMatch(/@sha256:/)
      const fromFeatures = await predictImages(db, classifier, examples.slice(0, 4), { signal: new AbortController().signal, modelsDir })
      expect(fromFeatures.engine).toMatch(/features \+ tfjs-wasm head/)
      for (const example of examples.slice(0, 4)) {
        const input = await classifier.preprocess(example.path)
        const whole = tf.tidy(() => classifier.model!.predict(tf.tensor4d(input, [1, 224, 224, 3])) as tf.Tensor)
        const expected = (await whole.data()) as Float32Array
        whole.dispose()
        const got = fromFeatures.probabilities.get(example.imageId)!
        for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-4)
      }
    })
  })

  it('keeps mapping outputs to the same classes after a class is renamed and a new class takes its old name', async () => {
    const { classes } = images()
    const red = classes.find((entry) => entry.name === 'red')!
    withProjectDb(projectPath, (db) => {
      db.prepare("UPDATE classes SET name = 'crimson' WHERE id = ?").run(red.id)
      db.prepare("INSERT INTO classes (name, color, position, created_at) VALUES ('red', '#123456', 99, 0)").run()
    })
    try {
      await withClassifier(cnnRun, async (classifier) => {
        expect(classifier.classIds).toEqual(classes.map((entry) => entry.id))
        expect(classifier.classNames).toEqual(classes.map((entry) => entry.name))
      })
    } finally {
      withProjectDb(projectPath, (db) => {
        db.prepare("DELETE FROM classes WHERE name = 'red'").run()
        db.prepare("UPDATE classes SET name = 'red' WHERE id = ?").run(red.id)
      })
    }
  })

  it('refuses clearly a run that does not exist or has no model', async () => {
    await withDb(async (db) => {
      await expect(loadRunClassifier(db, 999, { modelsDir })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      const queued = queueRun(projectPath, trainSettings())
      await expect(loadRunClassifier(db, queued, { modelsDir })).rejects.toThrow(/has no trained model/)
    })
  })
})
