// The seed CNN as a training plug: the project's labeled images, decoded and cached by the data
// layer (pixels of a 100k-image project are streamed, never all in memory), augmented on the fly
// for training only, with class weights or oversampling when asked.
import * as tf from '@tensorflow/tfjs-core'
import type { TrainSettings } from '../contract/types'
import type { TrainingExample } from '../db/queries/training-data'
import { DEFAULT_AUGMENTATION } from './data/augment'
import { batches } from './data/batches'
import { ExampleCache } from './data/example-cache'
import { classCounts, classWeights, stepsPerEpoch } from './data/sampler'
import { toTensors } from './data/to-tensors'
import type { TensorBatch } from './loop/train-loop'
import { buildSeedCnn } from './models/cnn'
import type { PreparedTraining, TrainingPlug } from './training-plug'

/** Decoded pixels are kept between epochs up to this budget; small datasets decode once. */
const PIXEL_CACHE_BYTES = 512 * 1024 * 1024

export const seedCnnPlug: TrainingPlug = {
  kind: 'cnn',
  async prepare({ settings, classes, examples, signal }): Promise<PreparedTraining<object>> {
    const data = imageBatches(examples, classes.length, settings, signal)
    return {
      settings,
      ...data,
      buildModel: () =>
        buildSeedCnn({
          height: settings.imageSize,
          width: settings.imageSize,
          channels: settings.channels,
          classes: classes.length,
          batchNorm: settings.batchNorm,
          dropout: settings.dropout,
          seed: settings.seed
        }),
      extra: {}
    }
  }
}

export type ImageBatches = Pick<PreparedTraining<object>, 'hasValidation' | 'batchesPerEpoch' | 'trainBatches' | 'evaluationBatches'>

/** The examples of each split as tensor batches for the loop, at the settings' image size and channels. */
export function imageBatches(
  examples: readonly TrainingExample[],
  numClasses: number,
  settings: TrainSettings,
  signal: AbortSignal
): ImageBatches {
  const bySplit = (split: TrainingExample['split']) => examples.filter((example) => example.split === split)
  const train = bySplit('train')
  const val = bySplit('val')
  const test = bySplit('test')
  const shape = { width: settings.imageSize, height: settings.imageSize, channels: settings.channels }
  const cache = new ExampleCache({ maxBytes: PIXEL_CACHE_BYTES })
  const trainClasses = train.map((example) => example.classIndex)
  // Oversampling already evens the classes out; weighting on top would correct the imbalance twice.
  const weights = settings.classWeights && !settings.oversample ? classWeights(classCounts(trainClasses, numClasses)) : undefined

  async function* asTensors(source: AsyncIterable<Parameters<typeof toTensors>[0]>): AsyncGenerator<TensorBatch> {
    for await (const batch of source) yield { ...toTensors(batch, tf, numClasses), size: batch.size, imageIds: batch.imageIds }
  }

  return {
    hasValidation: val.length > 0,
    batchesPerEpoch: (batchSize) => stepsPerEpoch(trainClasses, { batchSize, oversample: settings.oversample }),
    trainBatches: (epoch, batchSize) =>
      asTensors(
        batches(train, {
          ...shape,
          batchSize,
          seed: settings.seed,
          epoch,
          oversample: settings.oversample,
          ...(settings.augment ? { augment: DEFAULT_AUGMENTATION } : {}),
          ...(weights ? { classWeights: weights } : {}),
          cache,
          signal
        })
      ),
    evaluationBatches: (split, batchSize) =>
      asTensors(batches(split === 'val' ? val : test, { ...shape, batchSize, seed: settings.seed, epoch: 0, shuffle: false, cache, signal }))
  }
}
