import type { Database } from 'better-sqlite3'
import type { RunResult, TrainSettings } from '../contract/types'
import { AppError } from '../core/errors'
import { openProjectDatabase } from '../db/connection'
import { deleteCheckpoint, saveCheckpoint, saveRunModel } from '../db/queries/run-models'
import { finishRun, getRun, markRunStarted, recordEpoch } from '../db/queries/training-runs'
import type { JobContext } from '../jobs/job'
import { applySplits } from '../splits/apply-splits'
import { activateBackend } from '../tfjs/backend'
import { CancelOnSignal } from './callbacks/cancel-on-signal'
import { Checkpoint } from './callbacks/checkpoint'
import { EarlyStopping } from './callbacks/early-stopping'
import { ProgressReporter } from './callbacks/progress'
import { prepareData } from './training-data'
import { evaluate, trainLoop } from './loop/train-loop'
import { buildSeedCnn } from './models/cnn'
import { serializeModel } from '../tfjs/model-serialization'
import { createOptimizer, resumeFromCheckpoint } from './resume'
import { holdoutNote } from './holdout'
import { isOutOfMemory } from './out-of-memory'

export interface TrainInput {
  projectPath: string
  /** Where base models live ($PICTOR_MODELS_DIR or <data folder>/models). */
  modelsDir: string
  runId: number
  settings: TrainSettings
  /** Continue from the run's checkpoint instead of starting at epoch 0. */
  resume: boolean
}

/**
 * One training run, start to finish (or to a clean stop): data from the project, the model,
 * callbacks, checkpoints every epoch, the final model and its metrics stored with the run.
 */
const CANCELLED_MESSAGE = 'training was cancelled; it can be resumed from its last finished epoch'

export async function trainRun(input: TrainInput, context: JobContext): Promise<RunResult> {
  const db = openProjectDatabase(input.projectPath)
  try {
    return await train(db, input, context)
  } catch (error) {
    // The loop's own cancel path has already recorded the run; the data pipeline may also stop
    // first (it watches the same signal): both end as a resumable cancellation.
    if (context.signal.aborted || (error instanceof AppError && error.code === 'CANCELLED')) {
      if (!(error instanceof AppError && error.code === 'CANCELLED')) {
        finishRun(db, input.runId, 'cancelled', { error: CANCELLED_MESSAGE })
      }
      throw new AppError('CANCELLED', CANCELLED_MESSAGE)
    }
    finishRun(db, input.runId, 'failed', { error: (error as Error).message })
    throw error
  } finally {
    db.close()
  }
}

async function train(db: Database, input: TrainInput, { signal, onProgress }: JobContext): Promise<RunResult> {
  const { settings, runId } = input
  const backend = await activateBackend(settings.backend ?? undefined)
  // Every labeled image needs a split; assigning is deterministic and leaves existing ones alone.
  applySplits(db)
  const data = prepareData(db, settings, signal)
  markRunStarted(db, runId, backend.name, data.classes)
  const notes: string[] = data.heldOut > 0 ? [holdoutNote(data.heldOut)] : []

  const model = buildSeedCnn({
    height: settings.imageSize,
    width: settings.imageSize,
    channels: settings.channels,
    classes: data.classNames.length,
    batchNorm: settings.batchNorm,
    dropout: settings.dropout,
    seed: settings.seed
  })
  const optimizer = createOptimizer(settings)
  // Disposed however the run ends: a cancelled or failed run must not leave tensors behind.
  try {
    const earlyStopping =
      settings.patience > 0 && data.hasValidation ? new EarlyStopping({ patience: settings.patience, restoreBestWeights: true }) : null

    const initialEpoch = input.resume ? await resumeFromCheckpoint(db, runId, model, optimizer, earlyStopping, notes) : 0

    const progress = new ProgressReporter(runId, settings.epochs, backend.name, onProgress)
    const callbacks = [
      new CancelOnSignal(signal),
      ...(earlyStopping ? [earlyStopping] : []),
      { onEpochEnd: (metrics: Parameters<typeof recordEpoch>[2]) => recordEpoch(db, runId, metrics) },
      new Checkpoint(optimizer, (checkpoint) => saveCheckpoint(db, runId, checkpoint), () => ({
        earlyStopping: earlyStopping?.state ?? null
      })),
      progress
    ]

    let batchSize = settings.batchSize
    let result: Awaited<ReturnType<typeof trainLoop>> | null = null
    let epochsDone = initialEpoch
    while (result === null) {
      try {
        result = await trainLoop({
          model,
          optimizer,
          epochs: settings.epochs,
          initialEpoch: epochsDone,
          batchSize,
          batchesPerEpoch: data.batchesPerEpoch(batchSize),
          trainBatches: (epoch) => data.trainBatches(epoch, batchSize),
          validate: () => evaluate(model, data.evaluationBatches('val', batchSize)),
          callbacks: [...callbacks, { onEpochEnd: (metrics) => void (epochsDone = metrics.epoch + 1) }]
        })
      } catch (error) {
        if (!isOutOfMemory(error) || batchSize === 1) throw error
        batchSize = Math.max(1, Math.floor(batchSize / 2))
        const notice = `Out of memory: retrying epoch ${epochsDone + 1} with batch size ${batchSize}.`
        notes.push(notice)
        progress.notice(notice)
      }
    }
    if (result.stopReason === 'cancelled') {
      finishRun(db, runId, 'cancelled', { summary: summarize(db, runId, result, null, null, notes, earlyStopping), error: CANCELLED_MESSAGE })
      throw new AppError('CANCELLED', CANCELLED_MESSAGE)
    }
    if (result.stopReason) notes.push(`stopped early: ${result.stopReason}`)

    const validation = await evaluate(model, data.evaluationBatches('val', batchSize))
    const test = await evaluate(model, data.evaluationBatches('test', batchSize))
    const summary = summarize(db, runId, result, validation?.accuracy ?? null, test?.accuracy ?? null, notes, earlyStopping)
    const stored = await serializeModel(model)
    // The model, the end of the checkpoint and the 'done' status land together or not at all.
    db.transaction(() => {
      saveRunModel(db, runId, stored)
      deleteCheckpoint(db, runId)
      finishRun(db, runId, 'done', { summary })
    })()
    return summary
  } finally {
    model.dispose()
    optimizer.dispose()
  }
}

/** Counts every recorded epoch of the run, including those before a resume. */
function summarize(
  db: Database,
  runId: number,
  result: Awaited<ReturnType<typeof trainLoop>>,
  valAccuracy: number | null,
  testAccuracy: number | null,
  notes: string[],
  earlyStopping: EarlyStopping | null
): RunResult {
  const history = getRun(db, runId)?.epochs ?? result.history
  const rates = history.map((epoch) => epoch.imagesPerSecond).filter((rate) => rate > 0)
  return {
    epochsRun: history.length,
    bestEpoch: earlyStopping?.bestEpoch ?? null,
    valAccuracy,
    testAccuracy,
    imagesPerSecond: rates.length ? Math.round(rates.reduce((a, b) => a + b, 0) / rates.length) : 0,
    stoppedEarly: result.stopReason !== null && result.stopReason !== 'cancelled',
    notes
  }
}
