// One training run, start to finish (or to a clean stop), the same for every kind of model: the
// plug (training-plug.ts) brings the model and its batches; everything else happens here, once.
import type * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { Database } from 'better-sqlite3'
import type { BackendName, RunResult, TrainSettings } from '../contract/types'
import { AppError } from '../core/errors'
import { runLogDir } from '../core/run-folders'
import { withJobDatabase } from '../db/connection'
import { deleteCheckpoint, hasCheckpoint, saveCheckpoint, saveRunModel } from '../db/queries/run-models'
import { loadTrainingExamples } from '../db/queries/training-data'
import { dropEpochsAfter, finishRun, getRun, markRunStarted, recordEpoch, setRunLogDir } from '../db/queries/training-runs'
import type { ProgressUpdate } from '../jobs/job'
import { applySplits } from '../splits/apply-splits'
import { activateBackend } from '../tfjs/backend'
import { serializeModel } from '../tfjs/model-serialization'
import type { TrainingCallback } from './callbacks/callback'
import { CancelOnSignal } from './callbacks/cancel-on-signal'
import { Checkpoint } from './callbacks/checkpoint'
import { EarlyStopping } from './callbacks/early-stopping'
import { TensorBoardLogger } from './callbacks/tensorboard-logger'
import { withValidation } from './holdout'
import { emptyCollection, evaluate, trainLoop, type LoopResult } from './loop/train-loop'
import { isOutOfMemory } from './out-of-memory'
import { createOptimizer, resumeFromCheckpoint } from './resume'
import type { PreparedTraining, TrainingPlug } from './training-plug'

export interface TrainInput {
  projectPath: string
  /** Where base models live ($PICTOR_MODELS_DIR or <data folder>/models). */
  modelsDir: string
  /** The data folder's cache (derived files such as ONNX graphs); none: kept in memory only. */
  cacheDir?: string | null
  runId: number
  settings: TrainSettings
  /** Continue from the run's checkpoint instead of starting at epoch 0. */
  resume: boolean
  /** Where the run's TensorBoard folder goes (`<logRoot>/run-N`); default: beside the project file. A run keeps the folder it first got. */
  logRoot?: string | null
  /** Weight histograms in the logs every epoch; null or absent: for small models only. */
  histograms?: boolean | null
}

/** What callbacks passed in by the caller can know about the run before it starts. */
export interface RunInfo {
  runId: number
  backend: BackendName
  /** The settings the run really trains with (a plug may have chosen some from the data). */
  settings: TrainSettings
}

export interface RunTrainingOptions {
  signal: AbortSignal
  /** Progress of the slow preparation a plug may do (feature extraction); training itself reports through callbacks. */
  onProgress(update: ProgressUpdate): void
  /** The caller's own callbacks (live progress for the UI, logging for the CLI), run after the lifecycle's own. */
  callbacks?: (run: RunInfo) => TrainingCallback[]
}

const RESUMABLE = 'training was cancelled; it can be resumed from its last finished epoch'
export const RESTARTED = 'restarted from scratch with the same settings: it had stopped before its first epoch finished, so there was no checkpoint to resume from'

/** Trains run `input.runId` with `plug`; the run row ends 'done', 'cancelled' or 'failed' whatever happens. */
export async function runTraining<Extra extends object>(
  input: TrainInput,
  plug: TrainingPlug<Extra>,
  options: RunTrainingOptions
): Promise<RunResult & Extra> {
  return withJobDatabase(input.projectPath, async (db) => {
    const ended = { recorded: false }
    try {
      return await train(db, input, plug, options, ended)
    } catch (error) {
      // A data pipeline watching the same signal may stop before the loop sees the cancel: both end
      // here as one cancellation.
      const cancelled = options.signal.aborted || (error instanceof AppError && error.code === 'CANCELLED')
      const message = cancelled ? cancelMessage(error) : (error as Error).message
      if (!ended.recorded) finishRun(db, input.runId, cancelled ? 'cancelled' : 'failed', { error: message })
      throw cancelled ? new AppError('CANCELLED', message) : error
    }
  })
}

async function train<Extra extends object>(
  db: Database,
  input: TrainInput,
  plug: TrainingPlug<Extra>,
  options: RunTrainingOptions,
  ended: { recorded: boolean }
): Promise<RunResult & Extra> {
  const { runId } = input
  const backend = await activateBackend(input.settings.backend ?? undefined)
  // Every labeled image needs a split; assigning is deterministic and leaves existing ones alone.
  applySplits(db)
  const loaded = loadTrainingExamples(db)
  // A validation set too small to mean anything is topped up from train for this run, or warned about.
  const validationSet = withValidation(loaded.examples)
  const { examples } = validationSet
  if (!examples.some((example) => example.split === 'train')) {
    throw new AppError('INVALID_REQUEST', 'there are no labeled images in the training split')
  }
  markRunStarted(db, runId, backend.name, loaded.classes)
  const logDir = getRun(db, runId)?.logDir ?? runLogDir(input.projectPath, runId, input.logRoot)
  setRunLogDir(db, runId, logDir)
  const notes: string[] = validationSet.note ? [validationSet.note] : []
  const prepared = await plug.prepare({
    db,
    settings: input.settings,
    classes: loaded.classes,
    examples,
    modelsDir: input.modelsDir,
    cacheDir: input.cacheDir ?? null,
    signal: options.signal,
    onProgress: options.onProgress,
    notes
  })
  const { settings } = prepared
  const model = prepared.buildModel()
  const optimizer = createOptimizer(settings)
  let stopLogging = () => {}
  // Disposed however the run ends: a cancelled or failed run must not leave tensors behind.
  try {
    const earlyStopping =
      settings.patience > 0 && prepared.hasValidation ? new EarlyStopping({ patience: settings.patience, restoreBestWeights: true }) : null
    // A run stopped before its first checkpoint (killed while it prepared, or in its first epoch)
    // has nothing to resume from: it starts over with the same settings, and its notes say so.
    const fromCheckpoint = input.resume && hasCheckpoint(db, runId)
    if (input.resume && !fromCheckpoint) {
      dropEpochsAfter(db, runId, -1)
      notes.push(RESTARTED)
    }
    const initialEpoch = fromCheckpoint ? await resumeFromCheckpoint(db, runId, model, optimizer, earlyStopping, notes) : 0
    const logger = new TensorBoardLogger({
      runDir: logDir,
      run: { runId, modelKind: settings.model, backend: backend.name, classNames: loaded.classes.map((entry) => entry.name), settings },
      learningRate: settings.learningRate,
      histograms: input.histograms ?? null,
      notify: (message) => {
        notes.push(message)
        for (const callback of callbacks) callback.onNotice?.(message)
      }
    })
    stopLogging = () => logger.close()
    const callbacks: TrainingCallback[] = [
      new CancelOnSignal(options.signal),
      ...(earlyStopping ? [earlyStopping] : []),
      { onEpochEnd: (metrics) => recordEpoch(db, runId, metrics) },
      logger,
      // After early stopping, whose counters it saves.
      new Checkpoint(optimizer, (checkpoint) => saveCheckpoint(db, runId, checkpoint), () => ({ earlyStopping: earlyStopping?.state ?? null })),
      ...(options.callbacks?.({ runId, backend: backend.name, settings }) ?? [])
    ]
    // Said while the run trains (the Train view shows it), not only in the notes it ends with.
    if (validationSet.note) for (const callback of callbacks) callback.onNotice?.(validationSet.note)
    const { result, batchSize } = await loopHalvingOnOutOfMemory(prepared, { model, optimizer, initialEpoch, callbacks, notes })
    const summarize = (valAccuracy: number | null, testAccuracy: number | null) =>
      summary(db, runId, result, { valAccuracy, testAccuracy, notes, bestEpoch: earlyStopping?.bestEpoch ?? null, extra: prepared.extra })
    if (result.stopReason === 'cancelled') {
      finishRun(db, runId, 'cancelled', { summary: summarize(null, null), error: RESUMABLE })
      ended.recorded = true
      throw new AppError('CANCELLED', RESUMABLE)
    }
    if (result.stopReason) notes.push(`stopped early: ${result.stopReason}`)
    const validationRows = emptyCollection()
    const validation = await evaluate(model, prepared.evaluationBatches('val', batchSize), validationRows)
    const test = await evaluate(model, prepared.evaluationBatches('test', batchSize))
    const pathOf = new Map(examples.map((example) => [example.imageId, example.path]))
    await logger.finish(validationRows, (imageId) => pathOf.get(imageId), Math.max(0, (getRun(db, runId)?.epochs.length ?? 1) - 1))
    const done = summarize(validation?.accuracy ?? null, test?.accuracy ?? null)
    // Serialized before the write lock is taken; large weights are then written in short chunks,
    // and the model row, the end of the checkpoint and the 'done' status land together or not at all.
    const stored = await serializeModel(model)
    saveRunModel(db, runId, stored, {
      commitWith: () => {
        deleteCheckpoint(db, runId)
        finishRun(db, runId, 'done', { summary: done })
      }
    })
    ended.recorded = true
    return done
  } finally {
    stopLogging()
    model.dispose()
    optimizer.dispose()
  }
}

interface LoopParts {
  model: tfl.LayersModel
  optimizer: tf.Optimizer
  initialEpoch: number
  callbacks: TrainingCallback[]
  notes: string[]
}

/**
 * The loop, and again from the epoch it was in with half the batch size when the backend runs out
 * of memory (wasm's heap is capped at 4 GB), down to batches of one.
 */
async function loopHalvingOnOutOfMemory(
  prepared: PreparedTraining<object>,
  { model, optimizer, initialEpoch, callbacks, notes }: LoopParts
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
        callbacks: [...callbacks, countEpochs]
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

interface SummaryParts<Extra> {
  valAccuracy: number | null
  testAccuracy: number | null
  notes: readonly string[]
  bestEpoch: number | null
  extra: Extra
}

/** Counted from every recorded epoch of the run, so a resumed run reports all of them, for every plug alike. */
function summary<Extra extends object>(db: Database, runId: number, result: LoopResult, parts: SummaryParts<Extra>): RunResult & Extra {
  const history = getRun(db, runId)?.epochs ?? result.history
  const rates = history.map((epoch) => epoch.imagesPerSecond).filter((rate) => rate > 0)
  return {
    epochsRun: history.length,
    bestEpoch: parts.bestEpoch,
    valAccuracy: parts.valAccuracy,
    testAccuracy: parts.testAccuracy,
    imagesPerSecond: rates.length ? Math.round(rates.reduce((a, b) => a + b, 0) / rates.length) : 0,
    stoppedEarly: result.stopReason !== null && result.stopReason !== 'cancelled',
    notes: [...parts.notes],
    ...parts.extra
  }
}

/** A cancel inside a plug's preparation (feature extraction) says what it kept; any other is the resumable one. */
function cancelMessage(error: unknown): string {
  return error instanceof AppError && error.code === 'CANCELLED' ? error.message : RESUMABLE
}
