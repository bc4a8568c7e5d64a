// What a kind of model brings to a training run. The lifecycle (run-training.ts) does everything
// the kinds share — backend, splits, the run row, callbacks, cancel, out-of-memory retries,
// checkpoints and resume, evaluation, saving and the summary — and asks a plug only for the model
// and the batches it trains on. The seed CNN (seed-cnn-plug.ts) and the MobileNetV2 head on cached
// features (transfer/head-plug.ts) are the two plugs today. A plug may chain a second stage
// (nextStage): the lifecycle trains it after the first, in the same run.
import type * as tfl from '@tensorflow/tfjs-layers'
import type { Database } from 'better-sqlite3'
import type { TrainSettings } from '../contract/types'
import type { TrainingClass, TrainingExample } from '../db/queries/training-data'
import type { ProgressUpdate } from '../jobs/job'
import type { TrainingCallback } from './callbacks/callback'
import type { TensorBatch } from './loop/train-loop'

export interface PlugContext {
  db: Database
  /** The settings the run was started with (parsed, defaults filled in). */
  settings: TrainSettings
  /** The classes the model learns, in output order. */
  classes: readonly TrainingClass[]
  /** Every labeled, readable image with its split (after the run's own validation hold-out, if any). */
  examples: readonly TrainingExample[]
  /** Where base models live, for plugs that build on one. */
  modelsDir: string
  /** The data folder's cache, for what a plug derives from a base model (ONNX graphs). */
  cacheDir: string | null
  signal: AbortSignal
  /** For slow preparation (feature extraction): reported as the job's progress. */
  onProgress(update: ProgressUpdate): void
  /** Lines for the run's notes; a plug appends what the user should know. */
  notes: string[]
}

/** A plug, ready to train: what the lifecycle needs, with everything slow already done. */
export interface PreparedTraining<Extra extends object> {
  /** The settings the run really trains with: a plug may choose some from the data. */
  settings: TrainSettings
  hasValidation: boolean
  /** A fresh, untrained model (the lifecycle owns and disposes it). */
  buildModel(): tfl.LayersModel
  batchesPerEpoch(batchSize: number): number
  trainBatches(epoch: number, batchSize: number): AsyncIterable<TensorBatch>
  evaluationBatches(split: 'val' | 'test', batchSize: number): AsyncIterable<TensorBatch>
  /** Stored with the run's result (e.g. which base model a head was trained on). */
  extra: Extra
  /** Callbacks of this stage alone, run after the lifecycle's (e.g. counting a stage's epochs into `extra`). */
  callbacks?: TrainingCallback[]
  /**
   * A further stage trained after this one in the same run (MobileNetV2's fine-tuning of the top
   * blocks), starting from this stage's best weights; its settings' `epochs` counts from epoch 0 of
   * the run, its model, optimizer, early stopping and batches are its own, and its model and `extra`
   * are what the run stores. On a resume inside that stage `previous.model` is null: the model is
   * built to receive the checkpoint's weights.
   */
  nextStage?(previous: StageOutcome): Promise<PreparedTraining<Extra>>
}

/** How the stage before ended: what a next stage starts from and records. */
export interface StageOutcome {
  /** The stage's trained model at its best epoch; null when a run resumes inside the next stage. */
  model: tfl.LayersModel | null
  /** The run's epoch the next stage begins at (the epochs recorded so far). */
  firstEpoch: number
  bestEpoch: number | null
  /** The stage's validation figures at its best weights (null without a validation split). */
  valLoss: number | null
  valAccuracy: number | null
}

export interface TrainingPlug<Extra extends object = object> {
  kind: TrainSettings['model']
  prepare(context: PlugContext): Promise<PreparedTraining<Extra>>
}
