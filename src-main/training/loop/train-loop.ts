import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { EpochMetrics } from '../../contract/types'
import type { LoopState, TrainingCallback } from '../callbacks/callback'
import { correctCount, crossEntropy } from './metrics'

export const DIVERGED = 'the loss became NaN or infinite: lower the learning rate'

function weightsAreFinite(model: tfl.LayersModel): boolean {
  return model.weights.every((variable) => variable.read().dataSync().every(Number.isFinite))
}

/** One batch as tensors; the loop disposes them after the step. */
export interface TensorBatch {
  xs: tf.Tensor4D
  ys: tf.Tensor2D
  weights?: tf.Tensor1D
  size: number
  /** Which image each row is, where the source knows (evaluation batches): end-of-run images name them. */
  imageIds?: readonly number[]
}

/** Mean loss and accuracy of a model over some batches (not the Review view's evaluation of a run). */
export interface LossAndAccuracy {
  loss: number
  accuracy: number
}

/** What one training step reports back to the loop. */
export interface StepResult {
  /** The batch's mean loss. */
  loss: number
  correct: number
}

/**
 * One optimizer step on `model` for a batch. The default is a local step on this thread; the
 * data-parallel trainer (training/parallel) computes the gradients in worker threads instead. The
 * loop disposes the batch once the returned promise settles.
 */
export type Stepper = (model: tfl.LayersModel, optimizer: tf.Optimizer, batch: TensorBatch) => StepResult | Promise<StepResult>

export interface LoopOptions {
  model: tfl.LayersModel
  optimizer: tf.Optimizer
  /** Total epochs; training runs epochs [initialEpoch, epochs). */
  epochs: number
  initialEpoch?: number
  batchSize: number
  batchesPerEpoch: number
  trainBatches(epoch: number): AsyncIterable<TensorBatch>
  validate?(): Promise<LossAndAccuracy | null>
  callbacks: TrainingCallback[]
  /** Tags every epoch's metrics with the run's stage (2: fine-tuning after the head). */
  stage?: number
  /** How each batch is trained on; default: the local step. */
  stepper?: Stepper
}

export interface LoopResult {
  epochsRun: number
  history: EpochMetrics[]
  stopReason: string | null
}

/**
 * A plain training loop over optimizer.minimize (not model.fit): it gives per-batch control for
 * cancellation, sample weights, batch-norm in training mode, and a clean place to catch
 * out-of-memory errors. Callbacks do everything else.
 */
export async function trainLoop(options: LoopOptions): Promise<LoopResult> {
  const { model, optimizer, callbacks } = options
  const stepper = options.stepper ?? step
  const state: LoopState = { model, stopTraining: false, stopReason: null }
  const history: EpochMetrics[] = []
  const each = async (hook: (callback: TrainingCallback) => void | Promise<void> | undefined) => {
    for (const callback of callbacks) await hook(callback)
  }
  await each((c) => c.onTrainBegin?.(state))
  let epoch = options.initialEpoch ?? 0
  for (; epoch < options.epochs && !state.stopTraining; epoch++) {
    await each((c) => c.onEpochBegin?.(epoch, state))
    const started = performance.now()
    let seen = 0
    let lossSum = 0
    let correct = 0
    let batch = 0
    const source = options.trainBatches(epoch)[Symbol.asyncIterator]()
    // The next batch, when it is fetched while a step runs.
    let upcoming: Promise<IteratorResult<TensorBatch>> | null = null
    let exhausted = false
    try {
      for (;;) {
        const next = await (upcoming ?? prefetch(source))
        upcoming = null
        if ((exhausted = next.done === true)) break
        const tensors = next.value
        let result: StepResult
        try {
          const stepping = stepper(model, optimizer, tensors)
          // While an asynchronous step runs in other threads, this one decodes and augments the next
          // batch. A local step has finished by now: the next batch is fetched after the callbacks.
          if (stepping instanceof Promise) upcoming = prefetch(source)
          result = await stepping
        } finally {
          tensors.xs.dispose()
          tensors.ys.dispose()
          tensors.weights?.dispose()
        }
        seen += tensors.size
        lossSum += result.loss * tensors.size
        correct += result.correct
        const logs = {
          epoch,
          batch,
          batchesPerEpoch: options.batchesPerEpoch,
          size: tensors.size,
          loss: result.loss,
          accuracy: result.correct / tensors.size
        }
        batch++
        // Let the thread's event loop run: a cancel arrives as a message, and with every batch in
        // the pixel cache nothing else would give it a turn until the whole run ended.
        await new Promise<void>((resolve) => setImmediate(resolve))
        await each((c) => c.onBatchEnd?.(logs, state))
        if (state.stopTraining) break
      }
    } finally {
      if (!exhausted) await closeEarly(source, upcoming)
    }
    // A cancelled epoch is incomplete: it is neither evaluated nor recorded.
    if (state.stopReason === 'cancelled') break
    // Some backends (wasm) turn NaN into -Infinity inside kernels, so a diverged model can still
    // report a finite, clipped loss: check the weights themselves once per epoch.
    if (!weightsAreFinite(model)) throw new Error(DIVERGED)
    const trainSeconds = (performance.now() - started) / 1000
    const validation = options.validate ? await options.validate() : null
    const metrics: EpochMetrics = {
      epoch,
      loss: seen ? lossSum / seen : Number.NaN,
      accuracy: seen ? correct / seen : Number.NaN,
      valLoss: validation?.loss ?? null,
      valAccuracy: validation?.accuracy ?? null,
      imagesPerSecond: trainSeconds > 0 ? Math.round(seen / trainSeconds) : 0,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      batchSize: options.batchSize,
      ...(options.stage === undefined ? {} : { stage: options.stage })
    }
    history.push(metrics)
    await each((c) => c.onEpochEnd?.(metrics, state))
  }
  await each((c) => c.onTrainEnd?.(state))
  return { epochsRun: history.length, history, stopReason: state.stopReason }
}

/**
 * Ends an epoch's batches early (stop, cancel, failure), as `for await` would on a break: the source
 * is closed so its pipeline stops, and a batch already fetched for a next step is disposed.
 */
async function closeEarly(source: AsyncIterator<TensorBatch>, upcoming: Promise<IteratorResult<TensorBatch>> | null): Promise<void> {
  const left = upcoming ? await upcoming.catch(() => null) : null
  if (left && !left.done) {
    left.value.xs.dispose()
    left.value.ys.dispose()
    left.value.weights?.dispose()
  }
  await source.return?.()
}

/** The source's next batch, its failure handled where it is awaited (not an unhandled rejection while a step runs). */
function prefetch(source: AsyncIterator<TensorBatch>): Promise<IteratorResult<TensorBatch>> {
  const next = source.next()
  next.catch(() => {})
  return next
}

function step(model: tfl.LayersModel, optimizer: tf.Optimizer, batch: TensorBatch): StepResult {
  let probabilities: tf.Tensor | undefined
  const loss = optimizer.minimize(() => {
    const output = model.apply(batch.xs, { training: true }) as tf.Tensor
    probabilities = tf.keep(output)
    return crossEntropy(output, batch.ys, batch.weights)
  }, true)
  try {
    const value = loss!.dataSync()[0]!
    if (!Number.isFinite(value)) throw new Error(DIVERGED)
    return { loss: value, correct: correctCount(probabilities!, batch.ys) }
  } finally {
    loss?.dispose()
    probabilities?.dispose()
  }
}

/**
 * Loss and accuracy over batches in inference mode (dropout off, batch-norm on moving averages).
 * With `collect`, every row's probabilities, true class and image id are kept too (the final
 * evaluation, for the confusion matrix and worst mistakes written to the run's logs).
 */
export async function evaluate(
  model: tfl.LayersModel,
  batches: AsyncIterable<TensorBatch>,
  collect?: CollectedPredictions
): Promise<LossAndAccuracy | null> {
  let seen = 0
  let lossSum = 0
  let correct = 0
  for await (const batch of batches) {
    try {
      const probabilities = model.predict(batch.xs) as tf.Tensor
      if (collect) collectRows(collect, probabilities, batch)
      const loss = crossEntropy(probabilities, batch.ys)
      lossSum += loss.dataSync()[0]! * batch.size
      correct += correctCount(probabilities, batch.ys)
      probabilities.dispose()
      loss.dispose()
      seen += batch.size
    } finally {
      batch.xs.dispose()
      batch.ys.dispose()
      batch.weights?.dispose()
    }
  }
  return seen === 0 ? null : { loss: lossSum / seen, accuracy: correct / seen }
}

/** Rows of a final evaluation, in batch order: what the run's end-of-training images are made from. */
export interface CollectedPredictions {
  imageIds: number[]
  trueIndices: number[]
  /** One row of class probabilities per image. */
  probabilities: Float32Array[]
}

export function emptyCollection(): CollectedPredictions {
  return { imageIds: [], trueIndices: [], probabilities: [] }
}

function collectRows(collect: CollectedPredictions, probabilities: tf.Tensor, batch: TensorBatch): void {
  const classes = probabilities.shape[1]!
  const values = probabilities.dataSync() as Float32Array
  const truth = tf.tidy(() => tf.argMax(batch.ys, -1).dataSync())
  for (let row = 0; row < batch.size; row++) {
    collect.imageIds.push(batch.imageIds?.[row] ?? -1)
    collect.trueIndices.push(truth[row]!)
    collect.probabilities.push(values.slice(row * classes, (row + 1) * classes))
  }
}
