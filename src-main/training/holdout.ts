import type { TrainingExample } from '../db/queries/training-data'
import { seededUniform } from '../splits/split-ratios'

export const HOLDOUT_FRACTION = 0.1
/** Below this many training images, holding some out would cost more than validation is worth. */
const MIN_TRAIN_FOR_HOLDOUT = 20

/**
 * When the project has no validation images (imported train/ and test/ folders only, say), a run
 * holds out a tenth of its training images for validation — chosen by content hash, so the same
 * images every run and exact duplicates together — without touching the project's splits.
 */
export function withValidation<T extends Pick<TrainingExample, 'split' | 'contentHash' | 'imageId'>>(
  examples: readonly T[]
): { examples: T[]; heldOut: number } {
  const trainCount = examples.filter((example) => example.split === 'train').length
  if (examples.some((example) => example.split === 'val') || trainCount < MIN_TRAIN_FOR_HOLDOUT) {
    return { examples: [...examples], heldOut: 0 }
  }
  let heldOut = 0
  const result = examples.map((example) => {
    if (example.split !== 'train') return example
    if (seededUniform(`holdout:${example.contentHash ?? `id:${example.imageId}`}`) >= HOLDOUT_FRACTION) return example
    heldOut++
    return { ...example, split: 'val' as const }
  })
  return { examples: result, heldOut }
}

export function holdoutNote(heldOut: number): string {
  return `the project has no validation split: ${heldOut} training images were held out for validation in this run`
}
