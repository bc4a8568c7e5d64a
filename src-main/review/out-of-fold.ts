// Out-of-fold probabilities for confident learning: every labeled image is predicted by a head that
// never saw it, so a wrong label cannot be memorized into a confident "correct" prediction. Heads
// train on cached MobileNetV2 features, so k folds cost seconds, not k full trainings.
import * as tf from '@tensorflow/tfjs-core'
import { AppError } from '../core/errors'
import { createRandom, mixSeed } from '../training/data/random'
import { shuffleInPlace } from '../training/data/sampler'
import { crossEntropy } from '../training/loop/metrics'
import { featureBatches, type FeatureSet } from '../transfer/feature-set'
import { buildHead, DEFAULT_HEAD_DROPOUT } from '../transfer/head-model'
import type { ProbabilityMatrix } from './confident-learning'

/**
 * Fold of each row: within every class the rows are shuffled (seeded) and dealt round-robin, the
 * deal continuing across classes, so each fold gets its share of every class and the folds differ in
 * size by at most one. Deterministic in (classIndices, folds, seed).
 */
export function stratifiedFolds(classIndices: ArrayLike<number>, folds: number, seed: number): Int32Array {
  if (!(Number.isInteger(folds) && folds >= 2)) throw new RangeError(`folds must be a whole number ≥ 2, got ${folds}`)
  const byClass = new Map<number, number[]>()
  for (let row = 0; row < classIndices.length; row++) {
    const members = byClass.get(classIndices[row]!)
    if (members) members.push(row)
    else byClass.set(classIndices[row]!, [row])
  }
  const assignment = new Int32Array(classIndices.length)
  let dealt = 0
  for (const classIndex of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace(byClass.get(classIndex)!, createRandom(mixSeed(seed, classIndex, 0xf01d)))
    for (const row of members) assignment[row] = dealt++ % folds
  }
  return assignment
}

export interface HeadTraining {
  /** Default 32. */
  batchSize?: number
  /** Default 1e-3 (Adam), the transfer default. */
  learningRate?: number
  /** Epochs per fold; default max(20, ⌈300 / steps per epoch⌉), at most 100 — as a transfer run chooses. */
  epochs?: number
  seed?: number
}

export interface OutOfFoldOptions extends HeadTraining {
  folds: number
  signal: AbortSignal
  /** After each fold: folds finished so far. */
  onFold?: (finished: number, folds: number) => void
}

/**
 * Trains `folds` fresh heads, each on the other folds' rows, and returns every row's probabilities
 * from the head that held it out. Heads and optimizers are disposed fold by fold; cancelling stops
 * between batches with CANCELLED.
 */
export async function outOfFoldProbabilities(set: FeatureSet, numClasses: number, options: OutOfFoldOptions): Promise<ProbabilityMatrix> {
  const { folds, signal } = options
  const seed = options.seed ?? 1
  if (set.size < folds) throw new AppError('INVALID_REQUEST', `${folds} folds need at least ${folds} labeled images, the project has ${set.size}`)
  const assignment = stratifiedFolds(set.classIndices, folds, seed)
  const values = new Float32Array(set.size * numClasses)
  for (let fold = 0; fold < folds; fold++) {
    const trainRows: number[] = []
    const heldOut: number[] = []
    for (let row = 0; row < set.size; row++) (assignment[row] === fold ? heldOut : trainRows).push(row)
    const head = await trainFoldHead(subset(set, trainRows), numClasses, { ...options, seed: mixSeed(seed, fold) }, signal)
    try {
      const probabilities = predictRows(head, subset(set, heldOut))
      heldOut.forEach((row, index) => values.set(probabilities.subarray(index * numClasses, (index + 1) * numClasses), row * numClasses))
    } finally {
      head.dispose()
    }
    options.onFold?.(fold + 1, folds)
  }
  return { values, rows: set.size, classes: numClasses }
}

/** The rows of `set` at `rows`, as a set of their own. */
export function subset(set: FeatureSet, rows: readonly number[]): FeatureSet {
  const { featureSize } = set
  const features = new Float32Array(rows.length * featureSize)
  rows.forEach((row, index) => features.set(set.features.subarray(row * featureSize, (row + 1) * featureSize), index * featureSize))
  return {
    features,
    classIndices: Int32Array.from(rows, (row) => set.classIndices[row]!),
    imageIds: rows.map((row) => set.imageIds[row]!),
    size: rows.length,
    featureSize
  }
}

/** A fresh head trained on `set` with Adam; the caller disposes it. */
export async function trainFoldHead(set: FeatureSet, numClasses: number, training: HeadTraining, signal: AbortSignal) {
  const batchSize = training.batchSize ?? 32
  const seed = training.seed ?? 1
  const steps = Math.max(1, Math.ceil(set.size / batchSize))
  const epochs = training.epochs ?? Math.min(100, Math.max(20, Math.ceil(300 / steps)))
  const head = buildHead({ classes: numClasses, dropout: DEFAULT_HEAD_DROPOUT, seed, featureSize: set.featureSize })
  const optimizer = tf.train.adam(training.learningRate ?? 1e-3)
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      for await (const batch of featureBatches(set, { batchSize, numClasses, seed, epoch })) {
        try {
          tf.tidy(() => {
            optimizer.minimize(() => crossEntropy(head.apply(batch.xs, { training: true }) as tf.Tensor, batch.ys), false)
          })
        } finally {
          batch.xs.dispose()
          batch.ys.dispose()
          batch.weights?.dispose()
        }
      }
      // One turn of the event loop per epoch lets a cancel message in (a worker thread's only input).
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (signal.aborted) throw new AppError('CANCELLED', 'the label check was cancelled')
    }
    return head
  } catch (error) {
    head.dispose()
    throw error
  } finally {
    optimizer.dispose()
  }
}

/** Inference-mode probabilities of every row, in order, computed in batches. */
export function predictRows(head: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] }, set: FeatureSet, batchSize = 256): Float32Array {
  const chunks: Float32Array[] = []
  for (let start = 0; start < set.size; start += batchSize) {
    const end = Math.min(set.size, start + batchSize)
    const probabilities = tf.tidy(() => {
      const xs = tf.tensor2d(set.features.subarray(start * set.featureSize, end * set.featureSize), [end - start, set.featureSize])
      return head.predict(xs) as tf.Tensor
    })
    chunks.push(probabilities.dataSync() as Float32Array)
    probabilities.dispose()
  }
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  const out = new Float32Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}
