import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { baseModelVersion, locateBaseModel, readBaseModel } from '../../../src-main/classifier/features/base-model'
import { FeatureExtractor } from '../../../src-main/classifier/features/feature-extractor'
import { assembleClassifier } from '../../../src-main/classifier/features/assemble-classifier'
import { buildHead } from '../../../src-main/transfer/head-model'
import { buildMobileNetV2 } from '../../../src-main/models/mobilenet-v2-model'
import { preprocessForMobileNet } from '../../../src-main/classifier/features/mobilenet-preprocess'
import { hasPretrained, NO_PRETRAINED, SHARED_MODELS_DIR, sharedFile } from '../../helpers/mobilenet'
import { useTempDir } from '../../helpers/temp-dir'

// The frozen backbone: Keras' architecture layer for layer, 1280 finite pooled features per image,
// deterministic, leak-free, and a clear error for a missing or damaged model.

const tempDir = useTempDir()
let extractor: FeatureExtractor | undefined

beforeAll(async () => {
  await activateBackend('wasm')
  if (hasPretrained) extractor = await FeatureExtractor.load(SHARED_MODELS_DIR)
})

afterAll(() => extractor?.dispose())

describe('buildMobileNetV2', () => {
  it('matches the shipped model.json layer for layer and weight for weight', async (ctx) => {
    if (!hasPretrained) return ctx.skip(NO_PRETRAINED)
    const json = JSON.parse(readFileSync(await locateBaseModel(SHARED_MODELS_DIR), 'utf8'))
    const shipped = json.modelTopology.config.layers as { class_name: string; name: string; inbound_nodes: [string][][] }[]
    const model = buildMobileNetV2()
    try {
      const topology = model.toJSON(null, false) as unknown as { config: { layers: typeof shipped } }
      const describe = (layers: typeof shipped) => layers.map((layer) => [layer.class_name, layer.name, layer.inbound_nodes.flat().map((node) => node[0])])
      expect(describe(topology.config.layers)).toEqual(describe(shipped))
      const specs = json.weightsManifest[0].weights as { name: string; shape: number[] }[]
      expect(model.weights.map((weight) => [weight.originalName, weight.shape])).toEqual(specs.map((spec) => [spec.name, spec.shape]))
      expect(model.countParams()).toBe(2_257_984)
    } finally {
      model.dispose()
    }
  })
})

describe('FeatureExtractor', () => {
  it('gives 1280 finite features per image, identical for identical images, without leaking tensors', async (ctx) => {
    if (!extractor) return ctx.skip(NO_PRETRAINED)
    expect(extractor.version).toMatch(/^mobilenet_v2_1\.0_224_no_top@sha256:[0-9a-f]{64}$/)
    expect(await baseModelVersion(await locateBaseModel(SHARED_MODELS_DIR))).toBe(extractor.version)
    expect(extractor.model.outputs[0]!.shape).toEqual([null, 1280])
    const hotDog = await preprocessForMobileNet(sharedFile('test_images', 'hot_dog.jpg'))
    const parrot = await preprocessForMobileNet(sharedFile('test_images', 'parrot.jpg'))
    await extractor.extract([hotDog]) // the first call allocates the backend's kernels' scratch memory
    const tensorsBefore = tf.memory().numTensors
    const [a, b, c] = await extractor.extract([hotDog, parrot, hotDog])
    const [alone] = await extractor.extract([hotDog])
    expect(tf.memory().numTensors).toBe(tensorsBefore)
    for (const features of [a!, b!, c!]) {
      expect(features).toBeInstanceOf(Float32Array)
      expect(features.length).toBe(1280)
      expect(features.every(Number.isFinite)).toBe(true)
      // Pooled ReLU6 outputs: in [0, 6], and not all zero.
      expect(features.every((value) => value >= 0 && value <= 6)).toBe(true)
      expect(features.some((value) => value > 0.1)).toBe(true)
    }
    expect(c).toEqual(a)
    // Batched or alone, the same image gives the same features (up to float summation order).
    for (let i = 0; i < 1280; i++) expect(alone![i]).toBeCloseTo(a![i]!, 4)
    expect(b).not.toEqual(a)
  })

  it('assembles with a head into one image → probabilities model that agrees with head(features)', async (ctx) => {
    if (!extractor) return ctx.skip(NO_PRETRAINED)
    const head = buildHead({ classes: 3, dropout: 0.2, seed: 7 })
    const classifier = assembleClassifier(extractor.model, head)
    try {
      const image = await preprocessForMobileNet(sharedFile('test_images', 'hot_dog.jpg'))
      const [features] = await extractor.extract([image])
      const viaHead = tf.tidy(() => (head.predict(tf.tensor2d(features!, [1, 1280])) as tf.Tensor).dataSync())
      const direct = tf.tidy(() => (classifier.predict(tf.tensor4d(image, [1, 224, 224, 3])) as tf.Tensor).dataSync())
      expect(classifier.outputs[0]!.shape).toEqual([null, 3])
      for (let i = 0; i < 3; i++) expect(direct[i]).toBeCloseTo(viaHead[i]!, 5)
    } finally {
      head.dispose()
    }
  })
})

describe('reading a base model folder', () => {
  /** A tiny stand-in model folder (one Dense layer): reading and checking do not care about the architecture. */
  async function tinyModel(dir: string): Promise<string> {
    mkdirSync(dir, { recursive: true })
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 2 })] })
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        writeFileSync(join(dir, 'shard.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer))
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['shard.bin'], weights: artifacts.weightSpecs }] }))
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
      })
    )
    model.dispose()
    return join(dir, 'model.json')
  }

  it('says clearly when the model is not installed', async () => {
    await expect(FeatureExtractor.load(join(tempDir(), 'no-models'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/mobilenet_v2_1\.0_224_no_top is not installed/)
    })
  })

  it('refuses a truncated shard, and versions by weight bytes only', async () => {
    const path = await tinyModel(join(tempDir(), 'tiny'))
    const version = (await readBaseModel(path, 'tiny')).version
    expect(version).toMatch(/^tiny@sha256:[0-9a-f]{64}$/)
    // The same weights under reformatted JSON: same version, so a re-converted model keeps its cache.
    const copy = join(tempDir(), 'copy')
    mkdirSync(copy)
    copyFileSync(join(tempDir(), 'tiny', 'shard.bin'), join(copy, 'shard.bin'))
    writeFileSync(join(copy, 'model.json'), JSON.stringify(JSON.parse(readFileSync(path, 'utf8')), null, 2))
    expect((await readBaseModel(join(copy, 'model.json'), 'tiny')).version).toBe(version)
    truncateSync(join(copy, 'shard.bin'), 8)
    await expect(baseModelVersion(join(copy, 'model.json'), 'tiny')).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/damaged: its shards hold 8 bytes, its manifest needs 40/)
    })
  })
})
