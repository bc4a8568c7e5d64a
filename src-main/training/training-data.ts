import * as tf from '@tensorflow/tfjs-core'
import type { Database } from 'better-sqlite3'
import type { TrainSettings } from '../contract/types'
import { AppError } from '../core/errors'
import { loadTrainingExamples, type TrainingExample } from '../db/queries/training-data'
import { DEFAULT_AUGMENTATION } from './data/augment'
import { batches } from './data/batches'
import { ExampleCache } from './data/example-cache'
import { classCounts, classWeights, stepsPerEpoch } from './data/sampler'
import { toTensors } from './data/to-tensors'
import { withValidation } from './holdout'
import type { TensorBatch } from './loop/train-loop'

export interface PreparedData {
  /** The model's classes in output order. */
  classes: { id: number; name: string }[]
  classNames: string[]
  hasValidation: boolean
  /** Training images held out for validation because the project has no validation split. */
  heldOut: number
  batchesPerEpoch(batchSize: number): number
  trainBatches(epoch: number, batchSize: number): AsyncIterable<TensorBatch>
  evaluationBatches(split: 'val' | 'test', batchSize: number): AsyncIterable<TensorBatch>
}

/**
 * The project's labeled images, split, as tensor batches for the loop: decoded and cached by the
 * data layer (pixels of a 100k-image project are streamed, never all in memory), augmented on the
 * fly for training only, with class weights or oversampling when asked.
 */
export function prepareData(db: Database, settings: TrainSettings, signal: AbortSignal): PreparedData {
  const loaded = loadTrainingExamples(db)
  const { classes } = loaded
  const { examples, heldOut } = withValidation(loaded.examples)
  const bySplit = (split: TrainingExample['split']) => examples.filter((example) => example.split === split)
  const train = bySplit('train')
  const val = bySplit('val')
  const test = bySplit('test')
  if (train.length === 0) throw new AppError('INVALID_REQUEST', 'there are no labeled images in the training split')
  const numClasses = classes.length
  const shape = { width: settings.imageSize, height: settings.imageSize, channels: settings.channels }
  // Decoded pixels are kept between epochs up to this budget; small datasets decode once.
  const cache = new ExampleCache({ maxBytes: 512 * 1024 * 1024 })
  const trainClasses = train.map((example) => example.classIndex)
  // Oversampling already evens the classes out; weighting on top would correct the imbalance twice.
  const weights =
    settings.classWeights && !settings.oversample ? classWeights(classCounts(trainClasses, numClasses)) : undefined

  async function* asTensors(source: AsyncIterable<Parameters<typeof toTensors>[0]>): AsyncGenerator<TensorBatch> {
    for await (const batch of source) yield { ...toTensors(batch, tf, numClasses), size: batch.size }
  }

  return {
    classes,
    classNames: classes.map((entry) => entry.name),
    hasValidation: val.length > 0,
    heldOut,
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
      asTensors(
        batches(split === 'val' ? val : test, { ...shape, batchSize, seed: settings.seed, epoch: 0, shuffle: false, cache, signal })
      )
  }
}
