// One training run, start to finish (or to a clean stop), the same for every kind of model: the
// plug (training-plug.ts) brings the model and its batches; everything else happens here, once.
import type * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { Database } from 'better-sqlite3'
import type { BackendName, RunResult, TrainSettings } from '../contract/types'
import { AppError } from '../core/errors'
import { runLogDir } from '../core/run-folders'
import { withJobDatabase } from '../db/connection'
import { deleteCheckpoint, hasCheckpoint, loadCheckpoint, saveRunModel } from '../db/queries/run-models'
import { loadTrainingExamples } from '../db/queries/training-data'
import { dropEpochsAfter, finishRun, getRun, markRunStarted, setRunLogDir } from '../db/queries/training-runs'
import type { ProgressUpdate } from '../jobs/job'
import { applySplits } from '../splits/apply-splits'
import { activateBackend } from '../tfjs/backend'
import { serializeModel } from '../tfjs/model-serialization'
import type { TrainingCallback } from './callbacks/callback'
import { TensorBoardLogger } from './callbacks/tensorboard-logger'
import { withValidation } from './holdout'
import { emptyCollection, evaluate, type LoopResult } from './loop/train-loop'
import type { GradientWorkers } from './parallel/parallel-stepper'
import { createOptimizer } from './resume'
import type { PreparedTraining, StageOutcome, TrainingPlug } from './training-plug'
import { saveFinishedStage, trainStage, type StageEnvironment, type StagePlan, type TrainedStage } from './train-stage'

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
  /** Worker threads for data-parallel training (the seed CNN on wasm only; see train-stage.ts). */
  gradientWorkers?: GradientWorkers
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
  const logger = new TensorBoardLogger({
    runDir: logDir,
    run: { runId, modelKind: prepared.settings.model, backend: backend.name, classNames: loaded.classes.map((entry) => entry.name), settings: prepared.settings },
    learningRate: prepared.settings.learningRate,
    histograms: input.histograms ?? null,
    notify: (message) => {
      notes.push(message)
      for (const callback of env.active.callbacks) callback.onNotice?.(message)
    }
  })
  const env: StageEnvironment = {
    db,
    runId,
    backend: backend.name,
    signal: options.signal,
    notes,
    logger,
    ...(options.callbacks ? { callerCallbacks: options.callbacks } : {}),
    ...(options.gradientWorkers ? { gradientWorkers: options.gradientWorkers } : {}),
    active: { callbacks: [] }
  }
  // A run stopped before its first checkpoint (killed while it prepared, or in its first epoch)
  // has nothing to resume from: it starts over with the same settings, and its notes say so.
  const fromCheckpoint = input.resume && hasCheckpoint(db, runId)
  if (input.resume && !fromCheckpoint) {
    dropEpochsAfter(db, runId, -1)
    notes.push(RESTARTED)
  }
  const resumeAt = fromCheckpoint ? checkpointStage(db, runId) : null
  let stage: PreparedTraining<Extra> = prepared
  let model: tfl.LayersModel | null = null
  let optimizer: tf.Optimizer | null = null
  // Disposed however the run ends: a cancelled or failed run must not leave tensors behind.
  try {
    let previous: StageRecord | null = null
    let trained: TrainedStage | null = null
    let last = 1
    for (let number = 1; ; number++) {
      last = number
      // A stage the checkpoint is past is not rebuilt: the next one receives the checkpoint's weights.
      const skipped = resumeAt !== null && resumeAt.stage > number
      let outcome: StageRecord | null = skipped ? resumeAt.previous : null
      if (!skipped) {
        const next: tfl.LayersModel = stage.buildModel()
        model?.dispose()
        optimizer?.dispose()
        model = next
        optimizer = createOptimizer(stage.settings)
        logger.learningRate = stage.settings.learningRate
        const here = resumeAt?.stage === number
        const plan: StagePlan = {
          number,
          firstEpoch: previous?.firstEpoch ?? 0,
          resume: here,
          finished: here && resumeAt.finished,
          checkpointState: previous ? { previous } : {},
          baseline: previous?.valLoss != null ? { valLoss: previous.valLoss, epoch: previous.bestEpoch } : null,
          notices: number === 1 && validationSet.note ? [validationSet.note] : []
        }
        trained = await trainStage(stage, model, optimizer, env, plan)
        if (trained.result.stopReason === 'cancelled' || !stage.nextStage) break
        if (trained.result.stopReason) notes.push(`stage ${number} stopped early: ${trained.result.stopReason}`)
        outcome = here && resumeAt.finished && resumeAt.outcome ? resumeAt.outcome : await stageOutcome(stage, model, trained, getRun(db, runId)?.epochs.length ?? 0)
        await saveFinishedStage(env, model, optimizer, { ...plan, checkpointState: { ...plan.checkpointState, outcome } }, outcome.firstEpoch - 1)
      }
      if (!stage.nextStage) break
      if (!outcome) throw new Error(`run ${runId}'s checkpoint is in stage ${number + 1} but does not record stage ${number}`)
      stage = await stage.nextStage({ ...outcome, model: skipped ? null : model })
      previous = outcome
    }
    const result = trained!.result
    if (result.stopReason && result.stopReason !== 'cancelled') notes.push(`${last > 1 ? `stage ${last} ` : ''}stopped early: ${result.stopReason}`)
    const summarize = (valAccuracy: number | null, testAccuracy: number | null) =>
      summary(db, runId, result, { valAccuracy, testAccuracy, notes, bestEpoch: trained!.bestEpoch, extra: stage.extra })
    if (result.stopReason === 'cancelled') {
      finishRun(db, runId, 'cancelled', { summary: summarize(null, null), error: RESUMABLE })
      ended.recorded = true
      throw new AppError('CANCELLED', RESUMABLE)
    }
    const batchSize = trained!.batchSize
    const validationRows = emptyCollection()
    const validation = await evaluate(model!, stage.evaluationBatches('val', batchSize), validationRows)
    const test = await evaluate(model!, stage.evaluationBatches('test', batchSize))
    const pathOf = new Map(examples.map((example) => [example.imageId, example.path]))
    await logger.finish(validationRows, (imageId) => pathOf.get(imageId), Math.max(0, (getRun(db, runId)?.epochs.length ?? 1) - 1))
    const done = summarize(validation?.accuracy ?? null, test?.accuracy ?? null)
    // Serialized before the write lock is taken; large weights are then written in short chunks,
    // and the model row, the end of the checkpoint and the 'done' status land together or not at all.
    const stored = await serializeModel(model!)
    saveRunModel(db, runId, stored, {
      commitWith: () => {
        deleteCheckpoint(db, runId)
        finishRun(db, runId, 'done', { summary: done })
      }
    })
    ended.recorded = true
    return done
  } finally {
    logger.close()
    model?.dispose()
    optimizer?.dispose()
  }
}

/** A finished stage as its checkpoint and the next stage record it (StageOutcome without the model). */
type StageRecord = Omit<StageOutcome, 'model'>

/** The stage's validation figures at its best weights (the ones on hand after early stopping restored them). */
async function stageOutcome(stage: PreparedTraining<object>, model: tfl.LayersModel, trained: TrainedStage, recorded: number): Promise<StageRecord> {
  const validation = await evaluate(model, stage.evaluationBatches('val', trained.batchSize))
  return { firstEpoch: recorded, bestEpoch: trained.bestEpoch, valLoss: validation?.loss ?? null, valAccuracy: validation?.accuracy ?? null }
}

/** Which stage the run's checkpoint was saved in, whether that stage had finished (and how it ended), and what the stage before it recorded. */
function checkpointStage(db: Database, runId: number): { stage: number; finished: boolean; previous: StageRecord | null; outcome: StageRecord | null } {
  const state = (loadCheckpoint(db, runId)?.state ?? null) as { stage?: number; finished?: boolean; previous?: StageRecord; outcome?: StageRecord } | null
  return { stage: state?.stage ?? 1, finished: state?.finished === true, previous: state?.previous ?? null, outcome: state?.outcome ?? null }
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
