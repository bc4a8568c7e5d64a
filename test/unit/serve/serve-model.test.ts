import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DecodeError } from '../../../src-main/classifier/decode'
import { importOnnxRun } from '../../../src-main/classifier/onnx-run-import'
import { loadRunClassifier } from '../../../src-main/classifier/run-classifier'
import { AppError } from '../../../src-main/core/errors'
import { driftFeatureTensor } from '../../../src-main/serve/drift/penultimate-features'
import { loadServeModel, slugName, TooManyPixelsError } from '../../../src-main/serve/serve-model'
import type { ServeModel } from '../../../src-main/serve/serve-types'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { maxAbsDiff, withProjectDbAsync } from '../export/trained-run'
import { bigRedJpeg, bluePng, pixelBombPng, redPng, serveFixture, type ServeFixture } from './serve-fixture'

// loadServeModel on a real trained CNN run and on its ONNX export: one ONNX Runtime session whose
// probabilities are the TF.js model's, and (for a run) whose `features` are the TF.js model's
// penultimate layer, computed by the same session call.

let dir: string
let fixture: ServeFixture
let fromRun: ServeModel
let fromExport: ServeModel
const modelsDir = () => join(dir, 'no-models')

beforeAll(async () => {
  dir = makeTempDir('pictor-serve-model-')
  fixture = await serveFixture(dir)
  fromRun = await loadServeModel({ project: fixture.projectPath }, { modelsDir: modelsDir() })
  fromExport = await loadServeModel({ model: fixture.exported }, { modelsDir: modelsDir() })
}, 120_000)

afterAll(() => {
  fromRun?.dispose()
  fromExport?.dispose()
  removeTempDir(dir)
})

describe('loadServeModel', () => {
  it('describes the model from the run and from the export alike', () => {
    for (const model of [fromRun, fromExport]) {
      expect(model.labels).toEqual(['blue', 'red'])
      expect(model.inputShape).toEqual([20, 20, 3])
      expect(model.preprocessing.scale).toBeCloseTo(1 / 255, 12)
      expect(model.preprocessing.offset).toBe(0)
      expect(model.preprocessing.description).toMatch(/20x20/)
    }
    expect(fromExport.name).toBe('flowers-export')
    expect(fromRun.name).toMatch(/^[a-z0-9-]+$/)
  })

  it('answers what the TF.js model answers, with its penultimate layer as features (run) or none (export)', async () => {
    const files = await Promise.all([redPng(1), bluePng(2), redPng(3), bigRedJpeg()])
    const images = await Promise.all(files.map((bytes) => fromRun.preprocessBuffer(bytes)))
    const served = await fromRun.predict(images)
    const exported = await fromExport.predict(images)
    expect(exported.features).toBeNull()
    const classifier = await withProjectDbAsync(fixture.projectPath, (db) => loadRunClassifier(db, fixture.runId, { modelsDir: modelsDir() }))
    try {
      const batch = new Float32Array(images.length * images[0]!.length)
      images.forEach((image, index) => batch.set(image, index * image.length))
      const expected = await classifier.predictBatch(batch, images.length)
      const penultimate = tfl.model({ inputs: classifier.model!.inputs, outputs: driftFeatureTensor(classifier.model!) })
      const features = tf.tidy(() => penultimate.predict(tf.tensor4d(batch, [images.length, 20, 20, 3])) as tf.Tensor)
      const expectedFeatures = (await features.data()) as Float32Array
      features.dispose()
      expect(served.features).not.toBeNull()
      expect(served.features!.every((row) => row.length === 64)).toBe(true)
      expect(maxAbsDiff(served.features!.flatMap((row) => Array.from(row)), expectedFeatures)).toBeLessThan(1e-4)
      images.forEach((_, index) => {
        expect(maxAbsDiff(served.probabilities[index]!, expected[index]!)).toBeLessThan(1e-5)
        expect(maxAbsDiff(exported.probabilities[index]!, expected[index]!)).toBeLessThan(1e-5)
      })
      // The red images are red, the blue one blue: a trained model, not noise.
      expect(served.probabilities.map((row) => (row[1]! > row[0]! ? 'red' : 'blue'))).toEqual(['red', 'blue', 'red', 'red'])
    } finally {
      classifier.dispose()
    }
  })

  it('serves an imported ONNX run (runs import) as its ONNX graph, without features', async () => {
    const imported = await withProjectDbAsync(fixture.projectPath, (db) => importOnnxRun(db, { path: join(fixture.exported, 'onnx') }))
    const model = await loadServeModel({ project: fixture.projectPath, runId: imported.runId }, { modelsDir: modelsDir() })
    try {
      expect(model.labels).toEqual(['blue', 'red'])
      expect(model.inputShape).toEqual([20, 20, 3])
      const images = await Promise.all((await Promise.all([redPng(11), bluePng(12)])).map((bytes) => model.preprocessBuffer(bytes)))
      const served = await model.predict(images)
      const reference = await fromExport.predict(images)
      expect(served.features).toBeNull()
      served.probabilities.forEach((row, index) => expect(maxAbsDiff(row, reference.probabilities[index]!)).toBeLessThan(1e-6))
    } finally {
      model.dispose()
    }
  })

  it('refuses bytes that are no image, and a decompression bomb from its header', async () => {
    await expect(fromRun.preprocessBuffer(Buffer.from('not an image at all'))).rejects.toBeInstanceOf(DecodeError)
    const bomb = await fromRun.preprocessBuffer(pixelBombPng()).catch((error: unknown) => error)
    expect(bomb).toBeInstanceOf(TooManyPixelsError)
    expect((bomb as Error).message).toMatch(/100 megapixels/)
  })

  it('says what is wrong with a source it cannot serve', async () => {
    const missing = await loadServeModel({ model: join(dir, 'nothing-here') }, { modelsDir: modelsDir() }).catch((error: unknown) => error)
    expect(missing).toBeInstanceOf(AppError)
    expect((missing as AppError).code).toBe('NOT_FOUND')
    const badName = await loadServeModel({ model: fixture.exported }, { modelsDir: modelsDir(), name: 'no spaces/please' }).catch((error: unknown) => error)
    expect((badName as AppError).code).toBe('INVALID_REQUEST')
    const noRun = await loadServeModel({ project: fixture.projectPath, runId: 999 }, { modelsDir: modelsDir() }).catch((error: unknown) => error)
    expect((noRun as AppError).code).toBe('NOT_FOUND')
  })

  it('slugs names for URLs', () => {
    expect(slugName('My Flowers (v2)')).toBe('my-flowers-v2')
    expect(slugName('Café déjà vu')).toBe('cafe-deja-vu')
    expect(slugName('***')).toBe('model')
  })
})
