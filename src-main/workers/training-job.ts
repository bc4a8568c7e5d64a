// The training job: the lifecycle with the plug for the run's kind of model, reporting live
// progress (batches, epochs, notices) as the job's progress.
import type { RunResult } from '../contract/types'
import type { JobContext } from '../jobs/job'
import type { TransferRunResult } from '../classifier/transfer-info'
import { extractionProgress, ProgressReporter } from '../training/callbacks/progress'
import { runTraining, type RunTrainingOptions, type TrainInput } from '../training/run-training'
import { seedCnnPlug } from '../training/seed-cnn-plug'
import { transferHeadPlug } from '../transfer/head-plug'

export function trainingJob(input: TrainInput, context: JobContext): Promise<RunResult | TransferRunResult> {
  return input.settings.model === 'mobilenetv2' ? transferTrainingJob(input, context) : runTraining(input, seedCnnPlug, withProgress(input, context))
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
