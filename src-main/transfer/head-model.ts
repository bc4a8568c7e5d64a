// The trainable part of a transfer model: dropout + dense softmax on the backbone's pooled features.
import * as tfl from '@tensorflow/tfjs-layers'
import { MOBILENET_DEFAULTS } from '../contract/train-settings'
import { FEATURE_SIZE } from '../classifier/features/base-model'

/** The dropout a mobilenetv2 run uses when the user left dropout at its schema default (0). */
export const DEFAULT_HEAD_DROPOUT = MOBILENET_DEFAULTS.dropout

export interface HeadOptions {
  classes: number
  /** 0 keeps the Dropout layer as a no-op, so every head has the same two layers. */
  dropout: number
  seed?: number
  featureSize?: number
}

/**
 * [null, 1280] → [null, classes] probabilities. Layer names carry a `head_` prefix so they never
 * clash with the backbone's Keras names when backbone + pooling + head are assembled into one model.
 */
export function buildHead(options: HeadOptions): tfl.LayersModel {
  const { classes, dropout } = options
  if (!(Number.isInteger(classes) && classes >= 2)) throw new RangeError(`a classifier needs at least 2 classes, got ${classes}`)
  const seed = options.seed ?? 1
  const model = tfl.sequential({ name: 'mobilenetv2_head' })
  model.add(tfl.layers.dropout({ inputShape: [options.featureSize ?? FEATURE_SIZE], rate: dropout, seed, name: 'head_dropout' }))
  model.add(
    tfl.layers.dense({
      units: classes,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      name: 'head_predictions'
    })
  )
  return model
}
