// One-click transfer learning: MobileNetV2 features for every labelled image (cached in the project
// by content hash, so a retrain only extracts what is new), then a small head trained on them with
// the training engine's loop and callbacks. Same run row, RunResult and contract as trainRun.
import type { Database } from 'better-sqlite3'
import type { RunResult, TrainSettings } from '../contract/types'
import { AppError } from '../core/errors'
import { openProjectDatabase } from '../db/connection'
import { getFeatures } from '../db/queries/image-features'
import { deleteCheckpoint, saveCheckpoint, saveRunModel } from '../db/queries/run-models'
import { loadTrainingExamples, type TrainingExample } from '../db/queries/training-data'
import { finishRun, markRunStarted, recordEpoch } from '../db/queries/training-runs'
import type { JobContext } from '../jobs/job'
import { applySplits } from '../splits/apply-splits'
import { activateBackend } from '../tfjs/backend'
import { CancelOnSignal } from '../training/callbacks/cancel-on-signal'
import { Checkpoint } from '../training/callbacks/checkpoint'
import { EarlyStopping } from '../training/callbacks/early-stopping'
import { ProgressReporter } from '../training/callbacks/progress'
import { classCounts, classWeights, stepsPerEpoch } from '../training/data/sampler'
import { evaluate, trainLoop, type LoopResult } from '../training/loop/train-loop'
import { serializeModel } from '../tfjs/model-serialization'
import { holdoutNote, withValidation } from '../training/holdout'
import { createOptimizer, resumeFromCheckpoint } from '../training/resume'
import type { TrainInput } from '../training/train-job'
import { BASE_MODEL_ID, FEATURE_SIZE, INPUT_SIZE } from '../classifier/features/base-model'
import { extractMissingFeatures, type ExtractionReport } from '../classifier/features/extract-features'
import { featureBatches, packFeatures, type FeatureSet } from './feature-set'
import { buildHead } from './head-model'
import { resolveTransferSettings } from './transfer-settings'

/** What a later step needs to rebuild image → probabilities from the stored head. */
export interface TransferInfo {
  baseModel: string
  /** The exact backbone weights the head was trained on (the feature cache key). */
  baseModelVersion: string
  input: [height: number, width: number, channels: number]
  preprocessing: string
  featureSize: number
  /** The stored run model is the head only: backbone + GlobalAveragePooling2D + head = the classifier. */
  storedModel: 'head'
  extraction: Pick<ExtractionReport, 'total' | 'cached' | 'computed' | 'imagesPerSecond' | 'engine'> & { skipped: number }
  /** The settings the head really trained with (after the automatic choices). */
  settings: Record<string, unknown>
}

export interface TransferRunResult extends RunResult {
  transfer: TransferInfo
}

export const PREPROCESSING = 'RGB, EXIF-rotated, resized to 224×224 (fit fill), x / 127.5 − 1'

export async function transferRun(input: TrainInput, context: JobContext): Promise<TransferRunResult> {
  const db = openProjectDatabase(input.projectPath)
  const finished = { recorded: false }
  try {
    return await transfer(db, input, context, finished)
  } catch (error) {
    // A cancel during head training already stored its partial summary; keep it.
    if (!finished.recorded) {
      finishRun(db, input.runId, context.signal.aborted ? 'cancelled' : 'failed', { error: (error as Error).message })
    }
    throw error
  } finally {
    db.close()
  }
}

async function transfer(db: Database, input: TrainInput, context: JobContext, finished: { recorded: boolean }): Promise<TransferRunResult> {
  const { settings, runId } = input
  const backend = await activateBackend(settings.backend ?? undefined)
  applySplits(db)
  const { classes, examples } = loadTrainingExamples(db)
  if (!examples.some((example) => example.split === 'train')) {
    throw new AppError('INVALID_REQUEST', 'there are no labeled images in the training split')
  }
  markRunStarted(db, runId, backend.name, classes)
  const notes: string[] = []

  const extraction = await extractMissingFeatures(db, examples, {
    modelsDir: input.modelsDir,
    signal: context.signal,
    backend: settings.backend,
    onProgress: context.onProgress
  })
  const rate = extraction.imagesPerSecond === null ? '' : ` at ${extraction.imagesPerSecond.toFixed(1)} images/s`
  notes.push(`base model ${extraction.modelVersion}`)
  const engine = extraction.computed > 0 ? ` with ${extraction.engine}` : ''
  notes.push(`features: ${extraction.computed} extracted${engine}${rate}, ${extraction.cached} from the cache`)
  if (extraction.fallback) notes.push(extraction.fallback)
  const byHash = getFeatures(db, extraction.modelVersion, examples.flatMap((example) => example.contentHash ?? []))
  const validated = withValidation(examples)
  if (validated.heldOut > 0) notes.push(holdoutNote(validated.heldOut))
  const split = (name: TrainingExample['split']) =>
    packFeatures(validated.examples.filter((example) => example.split === name), byHash)
  const sets = { train: split('train'), val: split('val'), test: split('test') }
  const left = sets.train.left + sets.val.left + sets.test.left
  if (left > 0) notes.push(`${left} image${left === 1 ? '' : 's'} could not be read and ${left === 1 ? 'was' : 'were'} left out`)
  if (sets.train.size === 0) throw new AppError('INVALID_REQUEST', 'no image in the training split could be read')

  const counts = classCounts(sets.train.classIndices, classes.length)
  const resolved = resolveTransferSettings(settings, { trainCounts: counts, hasValidation: sets.val.size > 0 })
  if (resolved.chosen.length > 0) notes.push(`chosen from the data: ${resolved.chosen.join(', ')}`)
  const info: TransferInfo = {
    baseModel: BASE_MODEL_ID,
    baseModelVersion: extraction.modelVersion,
    input: [INPUT_SIZE, INPUT_SIZE, 3],
    preprocessing: PREPROCESSING,
    featureSize: FEATURE_SIZE,
    storedModel: 'head',
    extraction: {
      total: extraction.total,
      cached: extraction.cached,
      computed: extraction.computed,
      imagesPerSecond: extraction.imagesPerSecond,
      engine: extraction.engine,
      skipped: left
    },
    settings: resolved.settings as unknown as Record<string, unknown>
  }
  return trainHead(db, input, context, { sets, counts, settings: resolved.settings, backend: backend.name, notes, info }, finished)
}

interface HeadJob {
  sets: Record<'train' | 'val' | 'test', FeatureSet>
  counts: number[]
  settings: TrainSettings
  backend: string
  notes: string[]
  info: TransferInfo
}

/** The head on cached features, with the CNN's loop, callbacks, checkpoints and resume. */
async function trainHead(
  db: Database,
  input: TrainInput,
  { signal, onProgress }: JobContext,
  { sets, counts, settings, backend, notes, info }: HeadJob,
  finished: { recorded: boolean }
): Promise<TransferRunResult> {
  const { runId } = input
  const { batchSize, epochs, seed, oversample } = settings
  const numClasses = counts.length
  // Oversampling already evens the classes out; weighting on top would correct the imbalance twice.
  const weights = settings.classWeights && !oversample ? classWeights(counts) : undefined
  const head = buildHead({ classes: numClasses, dropout: settings.dropout, seed })
  const optimizer = createOptimizer(settings)
  const earlyStopping =
    settings.patience > 0 && sets.val.size > 0 ? new EarlyStopping({ patience: settings.patience, restoreBestWeights: true }) : null
  const evaluation = (set: FeatureSet) =>
    evaluate(head, featureBatches(set, { batchSize, numClasses, seed, epoch: 0, shuffle: false }))
  try {
    const initialEpoch = input.resume ? await resumeFromCheckpoint(db, runId, head, optimizer, earlyStopping, notes) : 0
    const result = await trainLoop({
      model: head,
      optimizer,
      epochs,
      initialEpoch,
      batchSize,
      batchesPerEpoch: stepsPerEpoch(sets.train.classIndices, { batchSize, oversample }),
      trainBatches: (epoch) =>
        featureBatches(sets.train, { batchSize, numClasses, seed, epoch, oversample, ...(weights ? { classWeights: weights } : {}) }),
      validate: () => evaluation(sets.val),
      callbacks: [
        new CancelOnSignal(signal),
        ...(earlyStopping ? [earlyStopping] : []),
        { onEpochEnd: (metrics) => recordEpoch(db, runId, metrics) },
        new Checkpoint(optimizer, (checkpoint) => saveCheckpoint(db, runId, checkpoint), () => ({
          earlyStopping: earlyStopping?.state ?? null
        })),
        new ProgressReporter(runId, epochs, backend, onProgress)
      ]
    })
    if (result.stopReason === 'cancelled') {
      finishRun(db, runId, 'cancelled', { summary: summarize(result, null, null, notes, earlyStopping, info) })
      finished.recorded = true
      throw new AppError('CANCELLED', 'training was cancelled; it can be resumed from its last finished epoch')
    }
    if (result.stopReason) notes.push(`stopped early: ${result.stopReason}`)
    const validation = await evaluation(sets.val)
    const test = await evaluation(sets.test)
    const summary = summarize(result, validation?.accuracy ?? null, test?.accuracy ?? null, notes, earlyStopping, info)
    const stored = await serializeModel(head)
    // The head, the end of the checkpoint and the 'done' status land together or not at all.
    db.transaction(() => {
      saveRunModel(db, runId, stored)
      deleteCheckpoint(db, runId)
      finishRun(db, runId, 'done', { summary })
    })()
    finished.recorded = true
    return summary
  } finally {
    head.dispose()
    optimizer.dispose()
  }
}

function summarize(
  result: LoopResult,
  valAccuracy: number | null,
  testAccuracy: number | null,
  notes: string[],
  earlyStopping: EarlyStopping | null,
  transfer: TransferInfo
): TransferRunResult {
  const rates = result.history.map((epoch) => epoch.imagesPerSecond).filter((rate) => rate > 0)
  return {
    epochsRun: result.epochsRun,
    bestEpoch: earlyStopping?.bestEpoch ?? null,
    valAccuracy,
    testAccuracy,
    imagesPerSecond: rates.length ? Math.round(rates.reduce((a, b) => a + b, 0) / rates.length) : 0,
    stoppedEarly: result.stopReason !== null && result.stopReason !== 'cancelled',
    notes: [...notes],
    transfer
  }
}
