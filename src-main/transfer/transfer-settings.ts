// Settings for training a head on cached features. TrainSettings arrives fully parsed, so "the user
// left it alone" can only mean "it equals the schema default"; such fields get values chosen for a
// linear head on frozen features and for this project's data.
import type { TrainSettings } from '../contract/types'
import { MOBILENET_DEFAULTS, TRAIN_DEFAULTS } from '../contract/train-settings'
import { stepsPerEpoch } from '../training/data/sampler'
import { DEFAULT_HEAD_DROPOUT } from './head-model'

/** At least this many epochs, and at least ~this many optimizer steps (tiny projects have 1 step an epoch). */
export const MIN_AUTO_EPOCHS = MOBILENET_DEFAULTS.epochs
export const MIN_AUTO_STEPS = 300
export const MAX_AUTO_EPOCHS = 100
/** The one-click form's patience: early stopping restores the best epoch. */
export const AUTO_PATIENCE = MOBILENET_DEFAULTS.patience
/** Largest over smallest non-empty class at or above which class weights switch on by themselves. */
export const IMBALANCE_FOR_WEIGHTS = 1.5

export interface TransferData {
  /** Training examples per class (index = model output). */
  trainCounts: readonly number[]
  hasValidation: boolean
}

export interface ResolvedTransferSettings {
  settings: TrainSettings
  /** One line per value chosen automatically, for the run's notes. */
  chosen: string[]
}

/**
 * The rule, field by field, applied only where the value equals the schema default:
 * - dropout 0 → 0.2;
 * - epochs 10 → max(20, ⌈300 / steps per epoch⌉), at most 100 (a head on features costs
 *   milliseconds per epoch, and with early stopping extra epochs are never wasted);
 * - patience 0 → 5 when a validation split exists (early stopping restores the best epoch);
 * - class weights off (and no oversampling) → on when the largest class has ≥ 1.5× the smallest.
 * Learning rate (Adam 1e-3), batch size and seed are the schema's and stay as given.
 */
export function resolveTransferSettings(settings: TrainSettings, data: TransferData): ResolvedTransferSettings {
  const resolved = { ...settings }
  const chosen: string[] = []
  if (settings.dropout === TRAIN_DEFAULTS.dropout) {
    resolved.dropout = DEFAULT_HEAD_DROPOUT
    chosen.push(`dropout ${DEFAULT_HEAD_DROPOUT}`)
  }
  if (settings.epochs === TRAIN_DEFAULTS.epochs) {
    const classIndices = data.trainCounts.flatMap((count, index) => new Array<number>(count).fill(index))
    const steps = Math.max(1, stepsPerEpoch(classIndices, { batchSize: settings.batchSize, oversample: settings.oversample }))
    resolved.epochs = Math.min(MAX_AUTO_EPOCHS, Math.max(MIN_AUTO_EPOCHS, Math.ceil(MIN_AUTO_STEPS / steps)))
    chosen.push(`epochs ${resolved.epochs} (${steps} step${steps === 1 ? '' : 's'} per epoch)`)
  }
  if (settings.patience === TRAIN_DEFAULTS.patience && data.hasValidation) {
    resolved.patience = AUTO_PATIENCE
    chosen.push(`early stopping after ${AUTO_PATIENCE} epochs without improvement`)
  }
  const present = data.trainCounts.filter((count) => count > 0)
  const imbalance = present.length > 1 ? Math.max(...present) / Math.min(...present) : 1
  if (!settings.classWeights && !settings.oversample && imbalance >= IMBALANCE_FOR_WEIGHTS) {
    resolved.classWeights = true
    chosen.push(`class weights (classes differ ${imbalance.toFixed(1)}:1)`)
  }
  return { settings: resolved, chosen }
}
