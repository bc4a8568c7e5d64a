// A DriftReference from what a run's model made of its training images (pure: the images are
// chosen, predicted and featurized by reference-for-run.ts), and the checked reading of one back
// from JSON (the project's table, an export's drift-reference.json).
import { z } from 'zod'
import type { DriftReference } from '../serve-types'
import { sharesOf } from './population-stability'
import { principalComponents, project } from './principal-components'

export interface DriftReferenceInput {
  /** The model's output labels, in order. */
  labels: readonly string[]
  /** The output index of every training image's label (all of them: class shares are exact). */
  labelIndices: readonly number[]
  /** The model's probabilities on a sample of those images. */
  probabilities: readonly Float32Array[]
  /** The same sample's features (MobileNetV2's pooled features, a CNN's penultimate layer), or null. */
  features: readonly Float32Array[] | null
}

export interface DriftReferenceOptions {
  /** Principal components kept (default 16). */
  components?: number
  /** Sorted projections kept per component (default 1000). */
  maxSamples?: number
  /** A prediction whose top probability is below this counts as low confidence (default 0.5). */
  lowConfidenceThreshold?: number
  seed?: number
}

export const DRIFT_COMPONENTS = 16
export const DRIFT_MAX_SAMPLES = 1000
export const LOW_CONFIDENCE_THRESHOLD = 0.5

export function buildDriftReference(input: DriftReferenceInput, options: DriftReferenceOptions = {}): DriftReference {
  const classes = input.labels.length
  const counts = new Float64Array(classes)
  for (const index of input.labelIndices) {
    if (!(index >= 0 && index < classes)) throw new RangeError(`label index ${index} is not one of ${classes} outputs`)
    counts[index]! += 1
  }
  const threshold = options.lowConfidenceThreshold ?? LOW_CONFIDENCE_THRESHOLD
  let low = 0
  for (const row of input.probabilities) if (Math.max(...row) < threshold) low++
  return {
    version: 1,
    labels: [...input.labels],
    classShares: sharesOf(counts).map(compact),
    lowConfidenceShare: input.probabilities.length > 0 ? low / input.probabilities.length : 0,
    lowConfidenceThreshold: threshold,
    features: input.features && input.features.length > 1 ? featureStatistics(input.features, options) : null
  }
}

function featureStatistics(features: readonly Float32Array[], options: DriftReferenceOptions): NonNullable<DriftReference['features']> {
  const pca = principalComponents(features, { k: options.components ?? DRIFT_COMPONENTS, seed: options.seed ?? 1 })
  // Rounded before projecting, so the samples are exactly what a monitor reading the JSON computes.
  const mean = Array.from(pca.mean, compact)
  const components = pca.components.map((component) => Array.from(component, compact))
  const samples = components.map((component) => {
    const projections = Float64Array.from(features, (vector) => project(vector, mean, component)).sort()
    return thinSorted(projections, options.maxSamples ?? DRIFT_MAX_SAMPLES).map(compact)
  })
  return { mean, components, samples }
}

/**
 * At most `max` evenly spaced order statistics of a sorted sample (all of it when it is smaller):
 * the thinned sample keeps the empirical distribution's shape to within 1/max.
 */
export function thinSorted(sorted: ArrayLike<number>, max: number): number[] {
  const n = sorted.length
  if (n <= max) return Array.from(sorted)
  return Array.from({ length: max }, (_, i) => sorted[Math.round((i * (n - 1)) / (max - 1))]!)
}

/** 7 significant digits: float32 precision, which is all features have; halves the JSON. */
function compact(value: number): number {
  return Number(value.toPrecision(7))
}

const finite = z.number().finite()
const referenceSchema = z
  .object({
    version: z.literal(1),
    labels: z.array(z.string()).min(1),
    classShares: z.array(finite.min(0).max(1)),
    lowConfidenceShare: finite.min(0).max(1),
    lowConfidenceThreshold: finite.min(0).max(1),
    features: z
      .object({ mean: z.array(finite).min(1), components: z.array(z.array(finite)), samples: z.array(z.array(finite)) })
      .nullable()
  })
  .refine((value) => value.classShares.length === value.labels.length, 'there must be one class share per label')
  .refine(
    (value) =>
      value.features === null ||
      (value.features.components.length === value.features.samples.length &&
        value.features.components.every((component) => component.length === value.features!.mean.length)),
    'each component must have the length of the mean, and samples one list per component'
  )

/** A DriftReference from parsed JSON, or a one-line description of what is wrong with it. */
export function parseDriftReference(json: unknown): { ok: true; reference: DriftReference } | { ok: false; message: string } {
  const parsed = referenceSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { ok: false, message: `${issue.path.join('.') || 'the reference'}: ${issue.message}` }
  }
  // Samples must be sorted for the KS merge; a hand-edited file may not be.
  const features = parsed.data.features
  return { ok: true, reference: { ...parsed.data, features: features && { ...features, samples: features.samples.map((s) => [...s].sort((a, b) => a - b)) } } }
}

/**
 * Why `reference` cannot judge a model with these output labels (and feature length, when the
 * model gives features), or null when it can: a reference from another run or an older export
 * would compare the wrong classes.
 */
export function referenceMismatch(reference: DriftReference, labels: readonly string[], featureSize: number | null = null): string | null {
  if (reference.labels.length !== labels.length || reference.labels.some((label, index) => label !== labels[index])) {
    return `the drift reference's labels (${reference.labels.join(', ')}) are not the model's (${labels.join(', ')})`
  }
  const expected = reference.features?.mean.length ?? null
  if (featureSize !== null && expected !== null && expected !== featureSize) {
    return `the drift reference has ${expected} features per image, the model gives ${featureSize}`
  }
  return null
}
