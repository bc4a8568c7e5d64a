import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { openProjectDatabase } from '../../../src-main/db/connection'
import { suggestionsAtLeast } from '../../../src-main/db/queries/suggestions'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { suggestWith } from '../../../src-main/review/suggest-job'
import { Labeling } from '../../../src-main/services/labeling'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { withProjectDb } from '../../helpers/import-project'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext } from '../../helpers/training-project'

// Suggestions from a MobileNetV2 run go through the project's feature cache: the job extracts the
// unlabeled images' features once, so accepting suggestions and retraining extracts nothing new.
// (A randomly initialised backbone when the pretrained one is absent: this is about the pipeline.)

let dir: string
let modelsDir: string
let projectPath: string

// The one-click settings (epochs and the rest chosen from the data): a head trained for only a few
// optimizer steps does not yet tell the colours apart, which the suggestions below must.
const transferSettings = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224, backend: 'wasm' }) as TrainSettings
const featureRows = () => withProjectDb(projectPath, (db) => db.prepare('SELECT count(*) FROM image_features').pluck().get() as number)

async function train(): Promise<number> {
  const runId = queueRun(projectPath, transferSettings)
  await trainingJob({ projectPath, modelsDir, runId, settings: transferSettings, resume: false }, recordingContext())
  return runId
}

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-suggest-transfer-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (
    await createTrainingProject(join(dir, 'project'), [
      { dir: 'train/red', look: 'red', count: 6 },
      { dir: 'train/blue', look: 'blue', count: 6 },
      { dir: '.', look: 'red', count: 2 },
      { dir: 'test', look: 'blue', count: 2 }
    ])
  ).projectPath
}, 120_000)

afterAll(() => removeTempDir(dir))

it('a MobileNetV2 run suggests from cached features, extending the cache once; retraining after accepting extracts nothing', async () => {
  const runId = await train()
  expect(featureRows()).toBe(12)

  const db = openProjectDatabase(projectPath)
  try {
    const before = tf.memory().numTensors
    const first = recordingContext()
    const result = await suggestWith(db, { projectPath, modelsDir, runId, backend: 'wasm' }, first)
    expect(result).toMatchObject({ runId, total: 4, suggested: 4, failed: [] })
    expect(result.engine).toMatch(/features \+ tfjs-wasm head/)
    expect(featureRows()).toBe(16)
    expect(tf.memory().numTensors).toBe(before)
    // Which class each unlabeled image got, not merely some confidence (with two classes the top
    // probability is at least 0.5 whatever the head learned). With the ImageNet weights: its colour
    // (two red images in the top folder, two blue ones in test/). With a random backbone the head
    // cannot be trusted to learn the colours, so the check is that the cached-feature path answers
    // what the whole classifier (backbone + head, from pixels) answers for the same file.
    const stored = db
      .prepare(
        `SELECT s.root_path || '/' || i.rel_path AS file, i.rel_path AS path, c.name AS suggested
         FROM suggestions x JOIN images i ON i.id = x.image_id JOIN sources s ON s.id = i.source_id JOIN classes c ON c.id = x.class_id`
      )
      .all() as { file: string; path: string; suggested: string }[]
    expect(stored).toHaveLength(4)
    const classifier = await loadRunClassifier(db, runId, { modelsDir, backend: 'wasm' })
    try {
      for (const { file, path, suggested } of stored) {
        const input = await classifier.preprocess(file)
        const probabilities = Array.from(tf.tidy(() => (classifier.model!.predict(tf.tensor4d(input, [1, 224, 224, 3])) as tf.Tensor).dataSync()))
        const whole = classifier.classNames[probabilities.indexOf(Math.max(...probabilities))]
        const expected = hasPretrained ? (path.startsWith('test/') ? 'blue' : 'red') : whole
        expect([path, suggested]).toEqual([path, expected])
      }
    } finally {
      classifier.dispose()
    }

    // Again: every feature is cached, nothing is extracted.
    const second = recordingContext()
    await suggestWith(db, { projectPath, modelsDir, runId, backend: 'wasm' }, second)
    expect(second.updates.some((update) => /all \d+ images cached/.test(update.message))).toBe(true)
    expect(featureRows()).toBe(16)
  } finally {
    db.close()
  }

  // Accept them (as the app does: origin model), retrain: the new labels cost no extraction.
  const labeled = withProjectDb(projectPath, (db) => {
    new Labeling(() => db).assignEach(suggestionsAtLeast(db, 0), 'Accept 4 suggestions', 'model')
    return db.prepare("SELECT count(*) FROM labels WHERE origin = 'model'").pluck().get() as number
  })
  expect(labeled).toBe(4)
  await train()
  expect(featureRows()).toBe(16)
}, 180_000)
