import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { mobileNetV2Plan, mobileNetV2WeightSpecs } from '../../../src-main/models/mobilenet-v2-architecture'
import { buildMobileNetV2 } from '../../../src-main/models/mobilenet-v2-model'
import { ensureBackend, loadModelFile } from '../../../src-main/models/tfjs-load'
import { readModelJson } from '../../../src-main/models/tfjs-folder'
import { needSharedModel, SHARED_NO_TOP, sharedWeights } from '../../helpers/base-models'

// The MobileNetV2 graph is built in code (no third-party file needed); it must be the Keras one,
// layer by layer, or weights mapped by name would silently compute something else.

type TopologyLayer = { name: string; class_name: string; config: unknown; inbound_nodes: unknown }
type Topology = { config: { name: string; layers: TopologyLayer[]; input_layers: unknown; output_layers: unknown } }

describe('MobileNetV2 architecture', () => {
  it('has the Keras weight count without needing any file', () => {
    const specs = mobileNetV2WeightSpecs()
    expect(specs).toHaveLength(260)
    expect(specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0)).toBe(2_257_984)
    const names = mobileNetV2Plan().map((layer) => layer.name)
    expect(names.slice(0, 8)).toEqual([
      'Conv1',
      'bn_Conv1',
      'Conv1_relu',
      'expanded_conv_depthwise',
      'expanded_conv_depthwise_BN',
      'expanded_conv_depthwise_relu',
      'expanded_conv_project',
      'expanded_conv_project_BN'
    ])
    expect(names).toContain('block_1_pad')
    expect(names).toContain('block_16_project_BN')
    expect(names.slice(-3)).toEqual(['Conv_1', 'Conv_1_bn', 'out_relu'])
    expect(names).toHaveLength(153)
  })

  it('lists the same weights, shapes and order as the shared model.json', async (context) => {
    needSharedModel(context)
    const json = await readModelJson(SHARED_NO_TOP)
    const ours = mobileNetV2WeightSpecs().map(({ name, shape, dtype }) => ({ name, shape, dtype }))
    expect(ours).toEqual(json.weightsManifest.flatMap((group) => group.weights))
  })

  it('builds the shared topology layer by layer, with the same variables', async (context) => {
    needSharedModel(context)
    await ensureBackend()
    const shared = JSON.parse(await readFile(join(SHARED_NO_TOP, 'model.json'), 'utf8')) as { modelTopology: Topology }
    const model = buildMobileNetV2()
    try {
      const ours = model.toJSON(null, false) as unknown as Topology
      expect(ours.config.layers).toHaveLength(shared.modelTopology.config.layers.length)
      ours.config.layers.forEach((layer, index) => expect(layer, layer.name).toEqual(shared.modelTopology.config.layers[index]))
      expect(ours).toEqual(shared.modelTopology)
      const variables = model.weights.map((weight) => ({ name: weight.originalName, shape: weight.shape, dtype: weight.dtype }))
      expect(variables).toEqual((await readModelJson(SHARED_NO_TOP)).weightsManifest.flatMap((group) => group.weights))
    } finally {
      model.dispose()
    }
  })

  it('takes the shared weights and computes what the shared model computes', async (context) => {
    needSharedModel(context)
    await ensureBackend()
    const weights = await sharedWeights()
    const model = buildMobileNetV2()
    const reference = await loadModelFile(join(SHARED_NO_TOP, 'model.json'))
    const input = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 7)
    try {
      model.setWeights(
        model.weights.map((variable) => {
          const bytes = weights.get(variable.originalName)!
          return tf.tensor(new Float32Array(bytes.slice().buffer), variable.shape as number[])
        })
      )
      const ours = model.predict(input) as tf.Tensor
      const theirs = reference.predict(input) as tf.Tensor
      expect(ours.shape).toEqual([1, 7, 7, 1280])
      expect(Array.from(await ours.data())).toEqual(Array.from(await theirs.data()))
      expect((await tf.max(ours).data())[0]).toBeGreaterThan(0)
      tf.dispose([ours, theirs])
    } finally {
      input.dispose()
      model.dispose()
      reference.dispose()
    }
  })

  it('builds randomly initialised at a smaller input, with an optional pooled feature vector', async () => {
    await ensureBackend()
    const plain = buildMobileNetV2({ inputSize: 96 })
    const pooled = buildMobileNetV2({ inputSize: 96, pooling: 'avg' })
    try {
      expect(plain.outputs[0]!.shape).toEqual([null, 3, 3, 1280])
      expect(pooled.outputs[0]!.shape).toEqual([null, 1280])
      expect(pooled.layers.find((layer) => layer.name === 'block_1_pad')).toBeDefined()
      const features = pooled.predict(tf.zeros([2, 96, 96, 3])) as tf.Tensor
      expect(features.shape).toEqual([2, 1280])
      features.dispose()
    } finally {
      plain.dispose()
      pooled.dispose()
    }
  })
})
