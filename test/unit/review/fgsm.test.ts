import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fgsmCorrectCounts, gradientSign, labelLoss, perturb } from '../../../src-main/review/fgsm'
import { activateBackend } from '../../../src-main/tfjs/backend'

// FGSM's parts on a tiny conv net on the wasm backend (the app's CPU engine, with the composed
// conv gradients): the gradient sign against finite differences, the clipping in model-input units,
// and no tensor left behind.

let model: tfl.LayersModel
let xs: tf.Tensor4D
let oneHot: tf.Tensor2D
const labels = [0, 1, 1]

beforeAll(async () => {
  await activateBackend('wasm')
  model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [6, 6, 3], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) })
    ]
  })
  xs = tf.tidy(() => tf.randomUniform([3, 6, 6, 3], 0, 1, 'float32', 7) as tf.Tensor4D)
  oneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 2), 'float32') as tf.Tensor2D)
})

afterAll(() => {
  model.dispose()
  xs.dispose()
  oneHot.dispose()
})

const lossAt = (input: tf.Tensor4D): number => tf.tidy(() => labelLoss(model, input, oneHot).dataSync()[0]!)

describe('FGSM', () => {
  it('moves each input value the way finite differences of the loss say', () => {
    const sign = gradientSign(model, xs, oneHot)
    const signs = sign.dataSync()
    sign.dispose()
    const base = xs.dataSync()
    const h = 1e-2
    // Central differences on a handful of input values spread over the batch and the channels.
    let checked = 0
    for (const index of [0, 17, 40, 77, 108, 150, 200, 250, 300]) {
      const plus = Float32Array.from(base)
      const minus = Float32Array.from(base)
      plus[index]! += h
      minus[index]! -= h
      const difference = tf.tidy(() => (lossAt(tf.tensor4d(plus, xs.shape)) - lossAt(tf.tensor4d(minus, xs.shape))) / (2 * h))
      // Values the ReLUs cut off have no gradient; float32 noise can only decide the sign of a clear slope.
      if (Math.abs(difference) < 1e-4) continue
      expect(signs[index]).toBe(Math.sign(difference))
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(3)
  })

  it('perturbs by ε in model-input units and clips to the input range', () => {
    const sign = tf.tensor4d([1, -1, 1, -1], [1, 2, 2, 1])
    const x = tf.tensor4d([0.5, 0.5, 0.995, -0.995], [1, 2, 2, 1])
    // MobileNetV2 units: ε = 2/255 of a pixel is 4/255 of the input, clipped to [−1, 1].
    const moved = perturb(x, sign, 2 / 255, { inputScale: 2, inputRange: [-1, 1] })
    const expected = [0.5 + 4 / 255, 0.5 - 4 / 255, 1, -1]
    Array.from(moved.dataSync()).forEach((value, index) => expect(value).toBeCloseTo(expected[index]!, 6))
    const same = perturb(x, sign, 0, { inputScale: 2, inputRange: [-1, 1] })
    expect(Array.from(same.dataSync())).toEqual(Array.from(x.dataSync()))
    tf.dispose([sign, x, moved, same])
  })

  it('counts correct predictions per ε, the clean count first, without leaking tensors', () => {
    const before = tf.memory().numTensors
    const counts = fgsmCorrectCounts(model, xs, labels, 2, [0, 0.05, 0.5], { inputScale: 1, inputRange: [0, 1] })
    expect(tf.memory().numTensors).toBe(before)
    const clean = tf.tidy(() => {
      const predicted = tf.argMax(model.predict(xs) as tf.Tensor, -1).dataSync()
      return labels.filter((label, index) => predicted[index] === label).length
    })
    expect(counts.robust[0]).toBe(clean)
    expect(counts.atStep[0]).toBe(clean)
    // Surviving every step up to ε: never more than at any single step, and never rising with ε.
    counts.robust.forEach((count, index) => expect(count).toBeLessThanOrEqual(counts.atStep[index]!))
    expect(counts.robust[1]).toBeLessThanOrEqual(counts.robust[0]!)
    expect(counts.robust[2]).toBeLessThanOrEqual(counts.robust[1]!)
    expect(() => fgsmCorrectCounts(model, xs, labels, 2, [0.1, 0], { inputScale: 1, inputRange: [0, 1] })).toThrow(RangeError)
  })
})
