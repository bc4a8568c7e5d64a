// Cached features of one split, packed in memory, served as tensor batches to the training loop.
// Features are small (5 KB an image: 2,000 images are 10 MB), so they are read once per run.
import * as tf from '@tensorflow/tfjs-core'
import type { TrainingExample } from '../db/queries/training-data'
import { epochOrder } from '../training/data/sampler'
import type { TensorBatch } from '../training/loop/train-loop'
import { FEATURE_SIZE } from '../classifier/features/base-model'

export interface FeatureSet {
  /** size × featureSize values, row by row. */
  features: Float32Array
  classIndices: Int32Array
  imageIds: number[]
  size: number
  featureSize: number
}

/** The examples that have features in `byHash`, in order; `left` counts those without. */
export function packFeatures(
  examples: readonly Pick<TrainingExample, 'imageId' | 'contentHash' | 'classIndex'>[],
  byHash: ReadonlyMap<string, Float32Array>,
  featureSize = FEATURE_SIZE
): FeatureSet & { left: number } {
  const kept = examples.filter((example) => example.contentHash !== null && byHash.has(example.contentHash))
  const features = new Float32Array(kept.length * featureSize)
  kept.forEach((example, row) => {
    const values = byHash.get(example.contentHash!)!
    if (values.length !== featureSize) throw new Error(`cached features have ${values.length} values, expected ${featureSize}`)
    features.set(values, row * featureSize)
  })
  return {
    features,
    classIndices: Int32Array.from(kept, (example) => example.classIndex),
    imageIds: kept.map((example) => example.imageId),
    size: kept.length,
    featureSize,
    left: examples.length - kept.length
  }
}

export interface FeatureBatchOptions {
  batchSize: number
  numClasses: number
  seed: number
  epoch: number
  /** Default true; off for evaluation. */
  shuffle?: boolean
  oversample?: boolean
  /** Per-class loss weights (sampler.classWeights). */
  classWeights?: readonly number[]
  /** One row's shape when it is not a vector (stage 2's block-14 activations: [h, w, 160]); its product is featureSize. */
  shape?: readonly number[]
}

/**
 * One epoch of batches in the same deterministic order the image pipeline uses (sampler.epochOrder),
 * so oversampling and resumed runs behave exactly as for the CNN. The loop disposes the tensors.
 */
export async function* featureBatches(set: FeatureSet, options: FeatureBatchOptions): AsyncGenerator<TensorBatch> {
  const { batchSize, numClasses } = options
  const { featureSize } = set
  const order = epochOrder(set.classIndices, {
    seed: options.seed,
    epoch: options.epoch,
    shuffle: options.shuffle ?? true,
    oversample: options.oversample ?? false
  })
  for (let start = 0; start < order.length; start += batchSize) {
    const rows = order.slice(start, start + batchSize)
    const xs = new Float32Array(rows.length * featureSize)
    const oneHot = new Float32Array(rows.length * numClasses)
    const weights = options.classWeights ? new Float32Array(rows.length) : undefined
    rows.forEach((row, index) => {
      xs.set(set.features.subarray(row * featureSize, (row + 1) * featureSize), index * featureSize)
      const classIndex = set.classIndices[row]!
      oneHot[index * numClasses + classIndex] = 1
      if (weights) weights[index] = options.classWeights![classIndex]!
    })
    yield {
      // The loop types xs as 4-D (images) but only hands it to model.apply; a head takes [n, 1280].
      xs: tf.tensor(xs, [rows.length, ...(options.shape ?? [featureSize])]) as unknown as tf.Tensor4D,
      ys: tf.tensor2d(oneHot, [rows.length, numClasses]),
      ...(weights ? { weights: tf.tensor1d(weights) } : {}),
      size: rows.length,
      imageIds: Array.from(rows, (row) => set.imageIds[row]!)
    }
  }
}
