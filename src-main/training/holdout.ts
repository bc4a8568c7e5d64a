import type { TrainingExample } from '../db/queries/training-data'
import { seededUniform } from '../splits/split-ratios'

export const HOLDOUT_FRACTION = 0.1
/** Below this many training images, holding some out would cost more than validation is worth. */
const MIN_TRAIN_FOR_HOLDOUT = 20
/**
 * Fewer validation images than this cannot tell a model from the next one. With n images one image
 * moves accuracy by 100/n points, and the 95 % interval around a measured 90 % is ±1.96·√(0.09/n):
 * ±11 points at 30, ±29 at 4 (where "100 %" is all the report's 4-image validation set could say).
 * Early stopping picks its best epoch on this number too, so below 30 it picks on noise.
 */
export const MIN_VALIDATION_IMAGES = 30

export interface ValidationChoice<T> {
  examples: T[]
  /** Training images used for validation in this run only (the project's splits are not changed). */
  heldOut: number
  /** What the run's notes say about its validation set, or null when there is nothing to say. */
  note: string | null
}

type Example = Pick<TrainingExample, 'split' | 'contentHash' | 'imageId'>

/**
 * A run's validation set. When the project has no validation images (imported train/ and test/
 * folders only, say), or too few to mean anything and a hold-out can bring them up to
 * MIN_VALIDATION_IMAGES, a run also holds out a tenth of its training images for validation —
 * chosen by content hash, so the same images every run and exact duplicates together — without
 * touching the project's splits. Too few that a hold-out cannot fix get a warning instead.
 */
export function withValidation<T extends Example>(examples: readonly T[]): ValidationChoice<T> {
  const trainCount = examples.filter((example) => example.split === 'train').length
  const valCount = examples.filter((example) => example.split === 'val').length
  const unchanged = (note: string | null): ValidationChoice<T> => ({ examples: [...examples], heldOut: 0, note })
  if (valCount >= MIN_VALIDATION_IMAGES) return unchanged(null)
  const reachable = valCount + HOLDOUT_FRACTION * trainCount >= MIN_VALIDATION_IMAGES
  if (trainCount < MIN_TRAIN_FOR_HOLDOUT || (valCount > 0 && !reachable)) return unchanged(valCount > 0 ? tooFewNote(valCount) : null)
  let heldOut = 0
  const result = examples.map((example) => {
    if (example.split !== 'train') return example
    if (seededUniform(`holdout:${example.contentHash ?? `id:${example.imageId}`}`) >= HOLDOUT_FRACTION) return example
    heldOut++
    return { ...example, split: 'val' as const }
  })
  return { examples: result, heldOut, note: valCount === 0 ? holdoutNote(heldOut) : topUpNote(valCount, heldOut) }
}

const images = (count: number, noun = 'image') => `${count} ${noun}${count === 1 ? '' : 's'}`
const were = (count: number) => (count === 1 ? 'was' : 'were')

export function holdoutNote(heldOut: number): string {
  return `the project has no validation split: ${images(heldOut, 'training image')} ${were(heldOut)} held out for validation in this run`
}

function topUpNote(valCount: number, heldOut: number): string {
  return (
    `the project has only ${images(valCount, 'validation image')}, too few to judge a model (at least ${MIN_VALIDATION_IMAGES} are needed): ` +
    `${images(heldOut, 'training image')} ${were(heldOut)} held out for validation in this run as well (${valCount + heldOut} in all); ` +
    'Balance → Assign splits makes a lasting validation set'
  )
}

function tooFewNote(valCount: number): string {
  return (
    `only ${images(valCount, 'validation image')}: one image moves validation accuracy by ${Math.round(100 / valCount)} points, ` +
    `so read it as a rough guess (at least ${MIN_VALIDATION_IMAGES} are needed to compare runs)`
  )
}
