import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { exportLayersModelToOnnx } from '../../../src-main/onnx/export-onnx'
import { tfPadding } from '../../../src-main/onnx/spatial-converters'
import { decodeModel } from '../../../src-main/onnx/onnx-schema'
import { activateBackend } from '../../../src-main/tfjs/backend'
import { buildMobileNetV2 } from '../../../src-main/models/mobilenet-v2-model'
import { deserializeModel, serializeModel } from '../../../src-main/tfjs/model-serialization'
import { expectAppError } from '../../helpers/app-error'
import { randomizeBatchNorms } from './batch-norm-stats'
import { compareEngines, opCounts, PARITY_TOLERANCE } from './parity'

// Every layer class and option the exporter claims, in models built for the purpose (odd sizes,
// stride-2 'same' padding, dilation, depth multiplier, unfoldable batch norms, nested models, a 4-D
// output), checked against tfjs; and the refusals for what it cannot express.

beforeAll(async () => {
  await activateBackend('wasm')
})

/** A seeded batch in [-1, 1] (what MobileNet's preprocessing produces). */
function randomBatch(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform(shape, -1, 1, 'float32', seed).dataSync() as Float32Array)
}

describe('TF padding', () => {
  it("puts 'same' padding's odd extra row and column at the end, as TF does", () => {
    expect(tfPadding('same', [224, 224], [3, 3], [2, 2], [1, 1])).toEqual({ pads: [0, 0, 1, 1] })
    expect(tfPadding('same', [17, 18], [3, 3], [2, 2], [1, 1])).toEqual({ pads: [1, 0, 1, 1] })
    expect(tfPadding('same', [9, 9], [3, 3], [1, 1], [2, 2])).toEqual({ pads: [2, 2, 2, 2] })
    expect(tfPadding('valid', [9, 9], [3, 3], [1, 1], [1, 1])).toEqual({ pads: [0, 0, 0, 0] })
    expect(tfPadding('same', [null, null], [3, 3], [2, 2], [1, 1])).toEqual({ autoPad: 'SAME_UPPER' })
  })
})

describe('layer coverage', () => {
  it('a functional model with every supported layer and a nested Sequential matches tfjs', async () => {
    const input = tfl.input({ shape: [17, 18, 3] })
    const L = tfl.layers
    let x = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6', name: 'stem' }).apply(input) as tfl.SymbolicTensor
    x = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', useBias: true, name: 'dw' }).apply(x) as tfl.SymbolicTensor
    // Not foldable: the depthwise conv has a fused activation.
    x = L.batchNormalization({ name: 'bn_after_relu' }).apply(x) as tfl.SymbolicTensor
    x = L.zeroPadding2d({ padding: [[1, 2], [0, 1]] }).apply(x) as tfl.SymbolicTensor
    x = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor
    const dilated = L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', dilationRate: 2, name: 'dilated' }).apply(x) as tfl.SymbolicTensor
    const pointwise = L.conv2d({ filters: 16, kernelSize: 1, useBias: false, name: 'pointwise' }).apply(x) as tfl.SymbolicTensor
    // Foldable BN, but its conv output is also read by Add: must stay a BatchNormalization.
    const normalized = L.batchNormalization({ name: 'bn_shared_input' }).apply(pointwise) as tfl.SymbolicTensor
    const summed = L.add().apply([dilated, pointwise, normalized]) as tfl.SymbolicTensor
    const y = L.activation({ activation: 'sigmoid' }).apply(summed) as tfl.SymbolicTensor
    let z = L.concatenate({ axis: -1 }).apply([y, dilated]) as tfl.SymbolicTensor
    z = L.leakyReLU({ alpha: 0.2 }).apply(z) as tfl.SymbolicTensor
    z = L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(z) as tfl.SymbolicTensor
    z = L.multiply().apply([z, L.activation({ activation: 'tanh' }).apply(z) as tfl.SymbolicTensor]) as tfl.SymbolicTensor
    // Softmax on a branch of its own: in series it would squash every value after it to about 1/24,
    // and the rest of the model would compare near-constants.
    const softmaxed = L.softmax({ axis: -1 }).apply(z) as tfl.SymbolicTensor
    const pooledMax = L.globalMaxPooling2d({}).apply(z) as tfl.SymbolicTensor
    const pooledAvg = L.globalAveragePooling2d({}).apply(softmaxed) as tfl.SymbolicTensor
    const flat = L.flatten().apply(L.averagePooling2d({ poolSize: 3, padding: 'valid' }).apply(z)) as tfl.SymbolicTensor
    let v = L.concatenate().apply([pooledMax, pooledAvg, flat]) as tfl.SymbolicTensor
    const logits12 = L.dense({ units: 12, activation: 'linear' }).apply(v) as tfl.SymbolicTensor
    v = L.batchNormalization({ name: 'bn_dense' }).apply(logits12) as tfl.SymbolicTensor
    // Side by side, not in series: a chain of squashing activations leaves nearly the same value for
    // every image, and the layers after it would compare near-constants.
    const activated = (['elu', 'selu', 'softsign', 'hardSigmoid', 'swish', 'softplus'] as const).map(
      (activation) => L.activation({ activation }).apply(v) as tfl.SymbolicTensor
    )
    v = L.add().apply(activated) as tfl.SymbolicTensor
    v = L.reLU({ maxValue: 1.5 }).apply(v) as tfl.SymbolicTensor
    v = L.dropout({ rate: 0.5 }).apply(v) as tfl.SymbolicTensor
    const nested = tfl.sequential({
      layers: [L.dense({ inputShape: [12], units: 7, activation: 'tanh' }), L.dropout({ rate: 0.1 }), L.dense({ units: 5, useBias: false, activation: 'softmax' })]
    })
    const output = nested.apply(v) as tfl.SymbolicTensor
    const model = tfl.model({ inputs: input, outputs: output })
    try {
      // Seeded weights: with tfjs's unseeded initialisers the answers' spread between the images
      // ranged from 0.008 to 0.05 from one run to the next.
      seedWeights(model, 5)
      expect(randomizeBatchNorms(model, 3)).toBe(3)
      // Three images that differ in brightness as well as in noise, so that pooled features (and every
      // value after them) differ from one image to the next.
      const batch = randomBatch([3, 17, 18, 3], 11).map((value, index) => value * [0.3, 1, 3][Math.floor(index / (17 * 18 * 3))]! + [0, 0.5, -1][Math.floor(index / (17 * 18 * 3))]!)
      const tensorsBefore = tf.memory().numTensors
      const result = await compareEngines(model, batch, [3, 17, 18, 3])
      expect(tf.memory().numTensors).toBe(tensorsBefore)
      expect(result.onnxShape).toEqual([3, 5])
      expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
      const ops = opCounts(result.nodes)
      expect(ops.BatchNormalization).toBe(3)
      expect(ops.Conv).toBe(4)
      expect(ops.Gemm).toBe(3)
      // The final answer passes through softmaxes and squashing activations, which could hide an
      // upstream export error under the tolerance: the three images must get different answers,
      // and the unsquashed values before the sigmoid and before the dense head's activations must
      // agree too, relative to their size.
      expect(spreadAcrossBatch(result.tfjs, 3)).toBeGreaterThan(100 * PARITY_TOLERANCE)
      for (const probe of [summed, logits12, v]) {
        const inner = await compareEngines(tfl.model({ inputs: input, outputs: probe }), batch, [3, 17, 18, 3])
        const scale = Math.max(...Array.from(inner.tfjs, Math.abs))
        expect(scale).toBeGreaterThan(0.1)
        expect(spreadAcrossBatch(inner.tfjs, 3) / scale).toBeGreaterThan(1e-2)
        expect(inner.maxAbsDiff / scale).toBeLessThan(PARITY_TOLERANCE)
      }
    } finally {
      model.dispose()
    }
  })

  it('a Sequential whose first layer is a model, saved and loaded back as a run stores it, matches tfjs', async () => {
    const backbone = tfl.sequential({
      name: 'tiny_backbone',
      layers: [
        tfl.layers.conv2d({ inputShape: [12, 10, 3], filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
        tfl.layers.batchNormalization(),
        tfl.layers.reLU({ maxValue: 6 }),
        tfl.layers.globalAveragePooling2d({})
      ]
    })
    randomizeBatchNorms(backbone, 8)
    const outer = tfl.sequential({ layers: [backbone, tfl.layers.dropout({ rate: 0.2 }), tfl.layers.dense({ units: 3, activation: 'softmax' })] })
    const loaded = await deserializeModel(await serializeModel(outer))
    try {
      for (const model of [outer, loaded]) {
        const result = await compareEngines(model, randomBatch([2, 12, 10, 3], 6), [2, 12, 10, 3])
        expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
        expect(result.nodes.map((node) => node.opType)).toEqual(['Transpose', 'Conv', 'Clip', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax', 'Identity'])
      }
    } finally {
      outer.dispose()
      loaded.dispose()
    }
  })

  it('a model with unknown image sizes runs at any size (SAME_UPPER padding, symbolic dimensions)', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 2, activation: 'softmax' })
      ]
    })
    try {
      const input = decodeModel(exportLayersModelToOnnx(model)).graph.input[0]!
      expect(input.type.tensorType.shape.dim).toEqual([{ dimParam: 'N' }, { dimParam: 'input_dim1' }, { dimParam: 'input_dim2' }, { dimValue: 3 }])
      for (const [height, width] of [
        [8, 8],
        [11, 14]
      ] as const) {
        const result = await compareEngines(model, randomBatch([2, height, width, 3], height), [2, height, width, 3])
        expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
      }
    } finally {
      model.dispose()
    }
  })

  it('a 4-D output comes back channels last, like the input', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [9, 11, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
        tfl.layers.batchNormalization(),
        tfl.layers.reLU({ maxValue: 6 })
      ]
    })
    try {
      randomizeBatchNorms(model, 5)
      const result = await compareEngines(model, randomBatch([2, 9, 11, 2], 2), [2, 9, 11, 2])
      expect(result.onnxShape).toEqual([2, 5, 6, 4])
      expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
      // Folded: Transpose, Conv, Clip, Transpose.
      expect(result.nodes.map((node) => node.opType)).toEqual(['Transpose', 'Conv', 'Clip', 'Transpose'])
    } finally {
      model.dispose()
    }
  })

  it("ZeroPadding2D before a pool keeps padding with zeros on negative inputs (onnxruntime's pad fusion must not apply)", async () => {
    for (const pool of ['max', 'average'] as const) {
      for (const padding of ['valid', 'same'] as const) {
        const input = tfl.input({ shape: [6, 6, 1] })
        const padded = tfl.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]] }).apply(input) as tfl.SymbolicTensor
        const options = { poolSize: 3, strides: 2, padding }
        const pooled = (pool === 'max' ? tfl.layers.maxPooling2d(options) : tfl.layers.averagePooling2d(options)).apply(padded) as tfl.SymbolicTensor
        const model = tfl.model({ inputs: input, outputs: pooled })
        try {
          const negative = Float32Array.from({ length: 36 }, (_, index) => -1 - index)
          const result = await compareEngines(model, negative, [1, 6, 6, 1])
          // The padded zeros win every max at the border; fused into the pool they would not.
          if (pool === 'max') expect(result.tfjs).toContain(0)
          expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
        } finally {
          model.dispose()
        }
      }
    }
  })

  it('MobileNetV2 built in code (random weights, non-trivial batch norms, 96 px and odd 75 px) matches tfjs', async () => {
    for (const inputSize of [96, 75]) {
      const model = buildMobileNetV2({ inputSize, pooling: 'avg' })
      try {
        expect(randomizeBatchNorms(model, inputSize)).toBe(52)
        const shape = [2, inputSize, inputSize, 3]
        const result = await compareEngines(model, randomBatch(shape, inputSize), shape)
        expect(result.onnxShape).toEqual([2, 1280])
        expect(result.maxAbsDiff).toBeLessThan(PARITY_TOLERANCE)
        const ops = opCounts(result.nodes)
        expect(ops).toMatchObject({ Conv: 52, Transpose: 1, Pad: 4, Add: 10, Clip: 35, GlobalAveragePool: 1 })
        expect(ops.BatchNormalization).toBeUndefined()
      } finally {
        model.dispose()
      }
    }
  })
})

describe('refusals', () => {
  it('names the layer and its class when a layer cannot be exported', () => {
    const model = tfl.sequential({ layers: [tfl.layers.lstm({ inputShape: [5, 3], units: 4, name: 'lstm_1', recurrentInitializer: 'glorotUniform' }), tfl.layers.dense({ units: 2 })] })
    try {
      const tensorsBefore = tf.memory().numTensors
      const error = expectAppError(() => exportLayersModelToOnnx(model), 'UNSUPPORTED')
      expect(error.message).toMatch(/^cannot export layer "lstm_1" \(LSTM\) to ONNX: /)
      expect(tf.memory().numTensors).toBe(tensorsBefore)
    } finally {
      model.dispose()
    }
  })

  it('refuses an activation it does not handle instead of exporting something else', () => {
    const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, activation: 'mish', name: 'odd_conv' })] })
    try {
      const error = expectAppError(() => exportLayersModelToOnnx(model), 'UNSUPPORTED')
      expect(error.message).toMatch(/^cannot export layer "odd_conv" \(Conv2D\) to ONNX: activation "mish" is not supported/)
    } finally {
      model.dispose()
    }
  })

  it('refuses Dense on a rank-3 input and models with two outputs', () => {
    const sequence = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4, 3], units: 2, name: 'per_step' })] })
    const input = tfl.input({ shape: [4] })
    const twoHeads = tfl.model({ inputs: input, outputs: [tfl.layers.dense({ units: 2 }).apply(input), tfl.layers.dense({ units: 3 }).apply(input)] as tfl.SymbolicTensor[] })
    try {
      expect(expectAppError(() => exportLayersModelToOnnx(sequence), 'UNSUPPORTED').message).toMatch(/"per_step" \(Dense\).*rank-3/)
      expect(expectAppError(() => exportLayersModelToOnnx(twoHeads), 'UNSUPPORTED').message).toMatch(/1 inputs and 2 outputs/)
    } finally {
      sequence.dispose()
      twoHeads.dispose()
    }
  })
})

/** The largest difference between any value of the first sample and the same value of another. */
function spreadAcrossBatch(values: Float32Array, batch: number): number {
  const size = values.length / batch
  let spread = 0
  for (let sample = 1; sample < batch; sample++) {
    for (let i = 0; i < size; i++) spread = Math.max(spread, Math.abs(values[sample * size + i]! - values[i]!))
  }
  return spread
}

/** Replaces every kernel with seeded Glorot-uniform values and every bias with small seeded ones. */
function seedWeights(model: tfl.LayersModel, seed: number): void {
  const values = model.weights.map((variable, index) => {
    const shape = variable.shape as number[]
    if (shape.length < 2) return tf.randomUniform(shape, -0.1, 0.1, 'float32', seed * 1000 + index)
    const receptive = shape.slice(0, -2).reduce((product, size) => product * size, 1)
    const limit = Math.sqrt(6 / (receptive * (shape.at(-2)! + shape.at(-1)!)))
    return tf.randomUniform(shape, -limit, limit, 'float32', seed * 1000 + index)
  })
  model.setWeights(values)
  tf.dispose(values)
}
