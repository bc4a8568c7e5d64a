// The training job: the lifecycle with the plug for the run's kind of model, reporting live
// progress (batches, epochs, notices) as the job's progress.
import { Worker } from 'node:worker_threads'
import type { RunResult } from '../contract/types'
import type { JobContext } from '../jobs/job'
import type { TransferRunResult } from '../classifier/transfer-info'
import { extractionProgress, ProgressReporter } from '../training/callbacks/progress'
import type { GradientWorkers } from '../training/parallel/parallel-stepper'
import { trainWorkerCount } from '../training/parallel/worker-count'
import { runTraining, type RunTrainingOptions, type TrainInput } from '../training/run-training'
import { seedCnnPlug } from '../training/seed-cnn-plug'
import { transferHeadPlug } from '../transfer/head-plug'
import gradientWorkerPath from './gradient-worker?modulePath'

export function trainingJob(input: TrainInput, context: JobContext): Promise<RunResult | TransferRunResult> {
  if (input.settings.model === 'mobilenetv2') return transferTrainingJob(input, context)
  // Data-parallel on every core by default (the training floor only uses it on wasm).
  return runTraining(input, seedCnnPlug, { ...withProgress(input, context), gradientWorkers: gradientWorkers() })
}

/** One gradient worker per core (PICTOR_TRAIN_WORKERS overrides), started from this thread. */
export function gradientWorkers(count = trainWorkerCount()): GradientWorkers {
  return { count, spawn: (workerData) => new Worker(gradientWorkerPath, { workerData }) }
}

/** A MobileNetV2 run, typed as such (its result says how the head was made). */
export function transferTrainingJob(input: TrainInput, context: JobContext): Promise<TransferRunResult> {
  return runTraining(input, transferHeadPlug, withProgress(input, context))
}

function withProgress(input: TrainInput, context: JobContext): RunTrainingOptions {
  return {
    ...context,
    // What the plug reports while it prepares (feature extraction) is said of this run, as a phase.
    onProgress: (update) => context.onProgress(extractionProgress(input.runId, input.settings.epochs, update)),
    callbacks: ({ runId, backend, settings }) => [new ProgressReporter(runId, settings.epochs, backend, context.onProgress)]
  }
}
