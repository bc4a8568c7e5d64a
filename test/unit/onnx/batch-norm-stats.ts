// Gives every BatchNormalization layer of a model (nested models included) non-trivial, seeded
// statistics, as training would: a fresh layer's mean 0 / variance 1 / gamma 1 / beta 0 would make
// batch-norm export bugs invisible.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'

export function randomizeBatchNorms(model: tfl.LayersModel, seed = 1): number {
  let count = 0
  const visit = (layers: tfl.layers.Layer[]) => {
    for (const layer of layers) {
      if (layer instanceof tfl.LayersModel) visit(layer.layers)
      if (layer.getClassName() !== 'BatchNormalization') continue
      const ranges: Record<string, [number, number]> = {
        gamma: [0.5, 1.5],
        beta: [-0.5, 0.5],
        moving_mean: [-0.5, 0.5],
        moving_variance: [0.3, 2]
      }
      tf.tidy(() => {
        const values = layer.weights.map((weight, index) => {
          const [low, high] = ranges[weight.originalName.split('/').pop()!] ?? [0, 1]
          return tf.randomUniform(weight.shape as number[], low, high, 'float32', seed + count * 10 + index)
        })
        layer.setWeights(values)
      })
      count++
    }
  }
  visit(model.layers)
  return count
}
