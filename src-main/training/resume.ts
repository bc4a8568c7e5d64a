import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { Database } from 'better-sqlite3'
import type { TrainSettings } from '../contract/types'
import { AppError } from '../core/errors'
import { loadCheckpoint } from '../db/queries/run-models'
import { dropEpochsAfter } from '../db/queries/training-runs'
import type { EarlyStopping } from './callbacks/early-stopping'
import { decodeNamed, restoreModelWeights } from '../tfjs/model-serialization'

export function createOptimizer(settings: Pick<TrainSettings, 'optimizer' | 'learningRate' | 'momentum'>): tf.Optimizer {
  return settings.optimizer === 'adam'
    ? tf.train.adam(settings.learningRate)
    : tf.train.momentum(settings.learningRate, settings.momentum)
}

/**
 * Puts a run back where its last finished epoch left it — model weights, the optimizer's step
 * count and moments (so the descent continues, not restarts), early stopping's counters — drops
 * the epochs of the cut-short attempt, and returns the epoch to continue from.
 */
export async function resumeFromCheckpoint(
  db: Database,
  runId: number,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  earlyStopping: EarlyStopping | null,
  notes: string[]
): Promise<number> {
  const checkpoint = loadCheckpoint(db, runId)
  if (!checkpoint) throw new AppError('NOT_FOUND', `run ${runId} has no checkpoint to resume from`)
  restoreModelWeights(model, decodeNamed(checkpoint.model))
  await optimizer.setWeights(decodeNamed(checkpoint.optimizer))
  const saved = (checkpoint.state as { earlyStopping?: Parameters<EarlyStopping['restore']>[0] | null }).earlyStopping
  earlyStopping?.restore(saved ?? { best: null, bestEpoch: null, wait: 0 }, model)
  dropEpochsAfter(db, runId, checkpoint.epoch)
  notes.push(`resumed after epoch ${checkpoint.epoch + 1}`)
  return checkpoint.epoch + 1
}
