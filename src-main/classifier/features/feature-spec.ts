// What a transfer run's frozen part of MobileNetV2 computes for each image (issue 18), in one value:
// at which input size the backbone sees the image, where the frozen part ends (the pooled 1280-d
// vector a head trains on, or the input of block 14 when the top blocks are fine-tuned), and whether
// the backbone ran in float32 or int8. The feature cache, the extraction graphs, run classifiers and
// exports are all keyed by it, so features computed one way are never read as another.

import { MOBILENET_INPUT_SIZES } from '../../contract/train-settings'

/** The square input sides MobileNetV2 is offered at (it runs at any size; its weights are from 224). */
export const INPUT_SIZES = MOBILENET_INPUT_SIZES
export type InputSize = (typeof INPUT_SIZES)[number]

/** 'pooled': global average pooling of the last feature map (1280 values). 'block_14_input': the output of block 13 (⌈s/32⌉² × 160). */
export const FEATURE_BOUNDARIES = ['pooled', 'block_14_input'] as const
export type FeatureBoundary = (typeof FEATURE_BOUNDARIES)[number]

export const FEATURE_PRECISIONS = ['float32', 'int8'] as const
export type FeaturePrecision = (typeof FEATURE_PRECISIONS)[number]

export interface FeatureSpec {
  inputSize: InputSize
  boundary: FeatureBoundary
  precision: FeaturePrecision
}

/** What every run before issue 18 used, and still the one-click default. */
export const DEFAULT_FEATURE_SPEC: Readonly<FeatureSpec> = Object.freeze({ inputSize: 224, boundary: 'pooled', precision: 'float32' })

/** Keras's name of the layer whose output a boundary is (the pooled vector is the appended pooling layer's). */
export const BOUNDARY_LAYERS: Readonly<Record<FeatureBoundary, string>> = {
  pooled: 'global_average_pooling2d',
  block_14_input: 'block_13_project_BN'
}

/** Channels of block 13's output in MobileNetV2 1.0. */
const BLOCK_13_CHANNELS = 160
/** Output stride of MobileNetV2 at block 13: five stride-2 layers (Conv1 and blocks 1, 3, 6, 13). */
const BLOCK_13_STRIDE = 32

/** The shape of one image's features, without the batch dimension. */
export function featureShape(spec: Pick<FeatureSpec, 'inputSize' | 'boundary'>): number[] {
  if (spec.boundary === 'pooled') return [1280]
  // Every stride-2 layer is padded Keras's way ("correct_pad"), so each halves the side rounding up.
  const side = Math.ceil(spec.inputSize / BLOCK_13_STRIDE)
  return [side, side, BLOCK_13_CHANNELS]
}

/** Values per image's features. */
export function featureLength(spec: Pick<FeatureSpec, 'inputSize' | 'boundary'>): number {
  return featureShape(spec).reduce((product, side) => product * side, 1)
}

export function isDefaultSpec(spec: FeatureSpec): boolean {
  return spec.inputSize === DEFAULT_FEATURE_SPEC.inputSize && spec.boundary === DEFAULT_FEATURE_SPEC.boundary && spec.precision === DEFAULT_FEATURE_SPEC.precision
}

/** `224-pooled-float32`: names a spec in cache keys, graph files and notes. */
export function specSuffix(spec: FeatureSpec): string {
  return `${spec.inputSize}-${spec.boundary}-${spec.precision}`
}

/**
 * The feature cache key (image_features.model_version): the base model's version alone for the
 * default spec, so every cache filled before issue 18 stays valid; `<version>#<suffix>` otherwise.
 */
export function featureCacheKey(baseModelVersion: string, spec: FeatureSpec): string {
  return isDefaultSpec(spec) ? baseModelVersion : `${baseModelVersion}#${specSuffix(spec)}`
}

/** The base model version a cache key was made from (everything before '#'). */
export function baseVersionOfKey(cacheKey: string): string {
  const cut = cacheKey.indexOf('#')
  return cut < 0 ? cacheKey : cacheKey.slice(0, cut)
}

/** A spec recorded by a run (TransferInfo.featureSpec), or the default for runs from before it was recorded. */
export function specOrDefault(spec: Partial<FeatureSpec> | null | undefined): FeatureSpec {
  return { ...DEFAULT_FEATURE_SPEC, ...(spec ?? {}) }
}
