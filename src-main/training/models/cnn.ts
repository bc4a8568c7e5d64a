import * as tfl from '@tensorflow/tfjs-layers'

export interface CnnOptions {
  height: number
  width: number
  channels: 1 | 3
  classes: number
  /** Conv → BatchNorm → ReLU instead of Conv(ReLU). */
  batchNorm?: boolean
  /** Dropout rate before the classifier (0 = none). */
  dropout?: number
  seed?: number
}

/**
 * The seed's baseline CNN, layer for layer: Conv32-Pool-Conv64-Pool-Conv64-Flatten-Dense64-Dense.
 * 3×3 'valid' convolutions and 2×2 pools as in Keras' defaults; any input size from 18 px up.
 * The output is softmax probabilities, so exported models need no extra step.
 */
export function buildSeedCnn(options: CnnOptions): tfl.LayersModel {
  if (options.height < 18 || options.width < 18) throw new Error('the CNN needs images of at least 18×18 pixels')
  const seed = options.seed ?? 42
  let layer = 0
  const init = () => tfl.initializers.glorotUniform({ seed: seed + layer++ })
  const model = tfl.sequential({ name: 'seed_cnn' })
  const conv = (filters: number, first: boolean) => {
    const shape = first ? { inputShape: [options.height, options.width, options.channels] } : {}
    if (options.batchNorm) {
      model.add(tfl.layers.conv2d({ ...shape, filters, kernelSize: 3, useBias: false, kernelInitializer: init() }))
      model.add(tfl.layers.batchNormalization())
      model.add(tfl.layers.reLU())
    } else {
      model.add(tfl.layers.conv2d({ ...shape, filters, kernelSize: 3, activation: 'relu', kernelInitializer: init() }))
    }
  }
  conv(32, true)
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  conv(64, false)
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  conv(64, false)
  model.add(tfl.layers.flatten())
  model.add(tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init() }))
  if (options.dropout && options.dropout > 0) model.add(tfl.layers.dropout({ rate: options.dropout, seed }))
  model.add(tfl.layers.dense({ units: options.classes, activation: 'softmax', kernelInitializer: init() }))
  return model
}
