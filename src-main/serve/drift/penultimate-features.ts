// A model's drift features read from the same forward pass as its probabilities: for a CNN the
// activations that go into its last Dense layer (64 values for Pictor's CNN), for a MobileNetV2
// classifier the pooled features that go into its head.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { DecodeError } from '../../classifier/decode'
import { AppError } from '../../core/errors'
import type { RunClassifier } from '../../classifier/run-classifier'

export interface ImageFile {
  imageId: number
  path: string
}

export interface FeaturedPredictions {
  imageId: number
  probabilities: Float32Array
  features: Float32Array
}

/**
 * What drift compares, for every model Pictor trains: the input of the layer that makes the
 * probabilities. For a CNN that layer is its last Dense, whose input is the penultimate layer
 * (after dropout, the identity at inference). For an assembled MobileNetV2 it is the trained head
 * as a whole (dropout → Dense), whose input is the backbone's pooled 1280 features — exactly what
 * the project's feature cache holds. A server that wants drift features from an exported graph
 * asks for this tensor as an extra output.
 */
export function driftFeatureTensor(model: tfl.LayersModel): tfl.SymbolicTensor {
  const output = model.outputs[0]!
  const layer = output.sourceLayer
  if (layer.getClassName() !== 'Dense' && !(layer instanceof tfl.LayersModel)) {
    throw new AppError('UNSUPPORTED', `cannot find the features of model "${model.name}": it does not end in a Dense layer or a head (it ends in ${layer.getClassName()})`)
  }
  // The input at the node that made this output: a head model was also applied once on its own.
  return layer.getInputAt(output.nodeIndex) as tfl.SymbolicTensor
}

/**
 * A model answering [features, probabilities] for the same input. It shares the classifier's
 * layers (and weights), so it is not disposed separately: disposing the classifier frees them.
 */
export function withDriftFeatures(model: tfl.LayersModel): tfl.LayersModel {
  return tfl.model({ inputs: model.inputs, outputs: [driftFeatureTensor(model), model.outputs[0]!], name: `${model.name}_with_features` })
}

/** Probabilities and penultimate features of images read by the classifier's own preprocessing; unreadable images are left out. */
export async function predictWithPenultimate(
  classifier: RunClassifier,
  images: readonly ImageFile[],
  options: { signal?: AbortSignal; batchSize?: number } = {}
): Promise<FeaturedPredictions[]> {
  if (!classifier.model) throw new Error(`run ${classifier.runId} has no TF.js model to read features from`)
  const model = withDriftFeatures(classifier.model)
  const [height, width, channels] = classifier.inputShape
  const batchSize = options.batchSize ?? 64
  const results: FeaturedPredictions[] = []
  for (let start = 0; start < images.length; start += batchSize) {
    options.signal?.throwIfAborted()
    const decoded = await Promise.all(
      images.slice(start, start + batchSize).map(async (image) => {
        try {
          return { image, pixels: await classifier.preprocess(image.path) }
        } catch (error) {
          if (error instanceof DecodeError) return { image, pixels: null }
          throw error
        }
      })
    )
    const ready = decoded.filter((entry): entry is { image: ImageFile; pixels: Float32Array } => entry.pixels !== null)
    if (ready.length === 0) continue
    const input = new Float32Array(ready.length * height * width * channels)
    ready.forEach((entry, index) => input.set(entry.pixels, index * entry.pixels.length))
    const [features, probabilities] = tf.tidy(() => model.predict(tf.tensor(input, [ready.length, height, width, channels])) as tf.Tensor[])
    try {
      const featureData = (await features!.data()) as Float32Array
      const probabilityData = (await probabilities!.data()) as Float32Array
      const featureSize = featureData.length / ready.length
      const classes = probabilityData.length / ready.length
      ready.forEach((entry, row) =>
        results.push({
          imageId: entry.image.imageId,
          features: featureData.slice(row * featureSize, (row + 1) * featureSize),
          probabilities: probabilityData.slice(row * classes, (row + 1) * classes)
        })
      )
    } finally {
      features!.dispose()
      probabilities!.dispose()
    }
  }
  return results
}
