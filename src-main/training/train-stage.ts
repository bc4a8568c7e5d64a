// One stage of a run: its early stopping, its resume from a checkpoint, its callbacks and the loop,
// retried with half the batch size on out-of-memory. A run has one stage, or two when a plug chains
// a second (MobileNetV2's fine-tuning, training-plug.ts nextStage); run-training.ts drives them.
import type * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { Database } from 'better-sqlite3'
import type { BackendName, EpochMetrics, TrainSettings } from '../contract/types'
import { saveCheckpoint } from '../db/queries/run-models'
import { recordEpoch } from '../db/queries/training-runs'
import type { LoopState, TrainingCallback } from './callbacks/callback'
import { CancelOnSignal } from './callbacks/cancel-on-signal'
import { Checkpoint } from './callbacks/checkpoint'
import { EarlyStopping } from './callbacks/early-stopping'
import { evaluate, trainLoop, type LoopResult, type Stepper } from './loop/train-loop'
import { isOutOfMemory } from './out-of-memory'
import { ParallelStepper, type GradientWorkers } from './parallel/parallel-stepper'
import { resumeFromCheckpoint } from './resume'
import type { PreparedTraining } from './training-plug'

/** What every stage of one run shares. */
export interface StageEnvironment {
  db: Database
  runId: number
  backend: BackendName
  signal: AbortSignal
  notes: string[]
  /** The run's TensorBoard logger (one for all stages: the epochs continue). */
  logger: TrainingCallback
  /** The caller's callbacks, made afresh for each stage (a progress bar learns the stage's epoch count). */
  callerCallbacks?: (run: { runId: number; backend: BackendName; settings: TrainSettings }) => TrainingCallback[]
  /** Where the stage's callbacks are published, for notices that arrive from outside the loop (the logger's). */
  active: { callbacks: TrainingCallback[] }
  /** Data-parallel training of the seed CNN on wasm (native TensorFlow already uses every core). */
  gradientWorkers?: GradientWorkers
}

export interface StagePlan {
  /** 1, 2, …: stages after the first tag their epochs with it. */
  number: number
  /** The run's epoch this stage starts at (the epochs of the stages before it). */
  firstEpoch: number
  /** Continue from the run's checkpoint, which this stage saved. */
  resume: boolean
  /** The stage had finished when the run stopped (its checkpoint holds its best weights): restore, do not train. */
  finished: boolean
  /** What the stage's checkpoints carry besides early stopping's counters, so a resume can rebuild the stage. */
  checkpointState: Record<string, unknown>
  /** Early stopping starts from the previous stage's best: if this stage never beats it, the starting weights are kept. */
  baseline: { valLoss: number; epoch: number | null } | null
  /** Said to the stage's callbacks before the loop starts. */
  notices?: readonly string[]
}

export interface TrainedStage {
  result: LoopResult
  batchSize: number
  bestEpoch: number | null
}

export async function trainStage(
  prepared: PreparedTraining<object>,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  env: StageEnvironment,
  plan: StagePlan
): Promise<TrainedStage> {
  const { db, runId, settings } = { ...env, settings: prepared.settings }
  const earlyStopping =
    settings.patience > 0 && prepared.hasValidation ? new EarlyStopping({ patience: settings.patience, restoreBestWeights: true }) : null
  let initialEpoch = plan.firstEpoch
  if (plan.resume) initialEpoch = await resumeFromCheckpoint(db, runId, model, optimizer, earlyStopping, env.notes)
  else if (earlyStopping && plan.baseline) earlyStopping.restore({ best: plan.baseline.valLoss, bestEpoch: plan.baseline.epoch, wait: 0 }, model)
  if (plan.finished) {
    // Releases the copy of the weights early stopping kept (the weights on hand are the best).
    earlyStopping?.onTrainEnd({ model, stopTraining: false, stopReason: null })
    return { result: { epochsRun: 0, history: [], stopReason: null }, batchSize: settings.batchSize, bestEpoch: earlyStopping?.bestEpoch ?? null }
  }
  const callbacks: TrainingCallback[] = [
    new CancelOnSignal(env.signal),
    ...(earlyStopping ? [earlyStopping] : []),
    { onEpochEnd: (metrics) => recordEpoch(db, runId, metrics) },
    env.logger,
    // After early stopping, whose counters it saves.
    stageCheckpoint(env, optimizer, plan, () => earlyStopping?.state ?? null),
    ...(prepared.callbacks ?? []),
    ...(env.callerCallbacks?.({ runId, backend: env.backend, settings }) ?? [])
  ]
  env.active.callbacks = callbacks
  // Said while the run trains (the Train view shows it), not only in the notes it ends with.
  for (const notice of plan.notices ?? []) for (const callback of callbacks) callback.onNotice?.(notice)
  const parallel = env.gradientWorkers && env.gradientWorkers.count > 1 && env.backend === 'wasm' && settings.model === 'cnn' ? env.gradientWorkers : null
  // Started after any resume, stopped however the stage ends (done, cancelled, failed).
  const stepper = parallel ? await ParallelStepper.start(model, env.backend, parallel, env.signal) : null
  let looped: { result: LoopResult; batchSize: number }
  try {
    looped = await loopHalvingOnOutOfMemory(prepared, {
      model,
      optimizer,
      initialEpoch,
      callbacks,
      notes: env.notes,
      stage: plan.number > 1 ? plan.number : undefined,
      ...(stepper ? { stepper: stepper.step } : {})
    })
  } finally {
    await stepper?.dispose()
  }
  const { result, batchSize } = looped
  return { result, batchSize, bestEpoch: earlyStopping?.bestEpoch ?? null }
}

/**
 * Saves the end of a finished stage as the run's checkpoint (its best weights, epoch = its last), so a
 * run stopped while the next stage prepares resumes there instead of training this stage again.
 */
export async function saveFinishedStage(env: StageEnvironment, model: tfl.LayersModel, optimizer: tf.Optimizer, plan: StagePlan, lastEpoch: number): Promise<void> {
  const checkpoint = stageCheckpoint(env, optimizer, { ...plan, checkpointState: { ...plan.checkpointState, finished: true } }, () => null)
  const state: LoopState = { model, stopTraining: false, stopReason: null }
  await checkpoint.onEpochEnd!({ epoch: lastEpoch } as EpochMetrics, state)
}

function stageCheckpoint(env: StageEnvironment, optimizer: tf.Optimizer, plan: StagePlan, earlyStopping: () => unknown): TrainingCallback {
  return new Checkpoint(
    optimizer,
    (checkpoint) => saveCheckpoint(env.db, env.runId, checkpoint),
    // A single-stage run's checkpoints stay as they were (no stage: the first).
    () => ({ ...(plan.number > 1 ? { stage: plan.number } : {}), ...plan.checkpointState, earlyStopping: earlyStopping() })
  )
}

interface LoopParts {
  model: tfl.LayersModel
  optimizer: tf.Optimizer
  initialEpoch: number
  callbacks: TrainingCallback[]
  notes: string[]
  stage: number | undefined
  stepper?: Stepper
}

/**
 * The loop, and again from the epoch it was in with half the batch size when the backend runs out
 * of memory (wasm's heap is capped at 4 GB), down to batches of one.
 */
async function loopHalvingOnOutOfMemory(
  prepared: PreparedTraining<object>,
  { model, optimizer, initialEpoch, callbacks, notes, stage, stepper }: LoopParts
): Promise<{ result: LoopResult; batchSize: number }> {
  let batchSize = prepared.settings.batchSize
  let epochsDone = initialEpoch
  const countEpochs: TrainingCallback = { onEpochEnd: (metrics) => void (epochsDone = metrics.epoch + 1) }
  for (;;) {
    try {
      const result = await trainLoop({
        model,
        optimizer,
        epochs: prepared.settings.epochs,
        initialEpoch: epochsDone,
        batchSize,
        batchesPerEpoch: prepared.batchesPerEpoch(batchSize),
        trainBatches: (epoch) => prepared.trainBatches(epoch, batchSize),
        validate: () => evaluate(model, prepared.evaluationBatches('val', batchSize)),
        callbacks: [...callbacks, countEpochs],
        ...(stage === undefined ? {} : { stage }),
        ...(stepper ? { stepper } : {})
      })
      return { result, batchSize }
    } catch (error) {
      if (!isOutOfMemory(error) || batchSize === 1) throw error
      batchSize = Math.max(1, Math.floor(batchSize / 2))
      const notice = `Out of memory: retrying epoch ${epochsDone + 1} with batch size ${batchSize}.`
      notes.push(notice)
      for (const callback of callbacks) callback.onNotice?.(notice)
    }
  }
}
