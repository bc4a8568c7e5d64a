import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrainSettings } from '../../../src-main/contract/types'
import { trainSettingsSchema } from '../../../src-main/contract/train-settings'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { loadServeModel } from '../../../src-main/serve/serve-model'
import type { ServeModel } from '../../../src-main/serve/serve-types'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { trainingJob } from '../../../src-main/workers/training-job'
import { hasPretrained, SHARED_MODELS_DIR, writeRandomBaseModel } from '../../helpers/mobilenet'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { createTrainingProject, queueRun, recordingContext, splitGroups } from '../../helpers/training-project'
import { maxAbsDiff, withProjectDbAsync } from '../export/trained-run'
import { bluePng, redPng } from './serve-fixture'

// A MobileNetV2 run served: the whole 224×224 classifier in one ONNX Runtime session whose second
// output is the pooled 1280 backbone features, exactly what the trained head reads.

let dir: string
let modelsDir: string
let projectPath: string
let runId: number
let model: ServeModel

beforeAll(async () => {
  await activateBackend('wasm')
  dir = makeTempDir('pictor-serve-mobilenet-')
  modelsDir = hasPretrained ? SHARED_MODELS_DIR : join(dir, 'models')
  if (!hasPretrained) await writeRandomBaseModel(modelsDir)
  projectPath = (await createTrainingProject(join(dir, 'project'), splitGroups({ train: [6, 6] }))).projectPath
  const settings = trainSettingsSchema.parse({ model: 'mobilenetv2', inputSize: 224, backend: 'wasm', epochs: 2 }) as TrainSettings
  runId = queueRun(projectPath, settings)
  await trainingJob({ projectPath, modelsDir, runId, settings, resume: false }, recordingContext())
  model = await loadServeModel({ project: projectPath, runId }, { modelsDir })
}, 180_000)

afterAll(() => {
  model?.dispose()
  removeTempDir(dir)
})

describe('serving a MobileNetV2 run', () => {
  it('takes 224×224 RGB scaled to [-1, 1]', () => {
    expect(model.inputShape).toEqual([224, 224, 3])
    expect(model.preprocessing.scale).toBeCloseTo(1 / 127.5, 12)
    expect(model.preprocessing.offset).toBe(-1)
  })

  it('answers the TF.js classifier\'s probabilities, with the pooled features its head reads', async () => {
    const files = await Promise.all([redPng(1), bluePng(2)])
    const images = await Promise.all(files.map((bytes) => model.preprocessBuffer(bytes)))
    const served = await model.predict(images)
    expect(served.features!.map((row) => row.length)).toEqual([1280, 1280])
    const classifier = await withProjectDbAsync(projectPath, (db) => loadRunClassifier(db, runId, { modelsDir }))
    try {
      const batch = new Float32Array(2 * images[0]!.length)
      images.forEach((image, index) => batch.set(image, index * image.length))
      const expected = await classifier.predictBatch(batch, 2)
      const fromFeatures = tf.tidy(() => {
        const features = tf.tensor2d(served.features!.flatMap((row) => Array.from(row)), [2, 1280])
        return (classifier.head!.predict(features) as tf.Tensor).dataSync() as Float32Array
      })
      served.probabilities.forEach((row, index) => {
        expect(maxAbsDiff(row, expected[index]!)).toBeLessThan(1e-4)
        expect(maxAbsDiff(row, fromFeatures.slice(index * 2, index * 2 + 2))).toBeLessThan(1e-5)
      })
    } finally {
      classifier.dispose()
    }
  })
})
