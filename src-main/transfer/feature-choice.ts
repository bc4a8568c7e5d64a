// Which features a MobileNetV2 run trains on (issue 18): the input size and the backbone's precision
// from the settings, with 'auto' resolved here, once, for the Train view, `pictor train` and every
// retrain alike. The boundary follows from stage 2: a head alone trains on the pooled vector.
import type { TrainSettings } from '../contract/types'
import { DEFAULT_FEATURE_SPEC, INPUT_SIZES, type FeaturePrecision, type FeatureSpec, type InputSize } from '../classifier/features/feature-spec'

/**
 * What 'auto' precision means on these machines: float32. int8 would be the default only if it were
 * ≥ 1.3× faster end to end and its predictions agreed with float32's on ≥ 99 % of the test images at
 * hand (issue 18). Measured (`npm run bench:infer` part 5, 2 cores, three runs at load average 3–6 from
 * other work): int8 backbone 1.58–1.74× float32's, end to end 1.25–1.38×; top-1 agreement on the 500
 * CIFAR-10 test images 89.4 % (float32 head on int8 features) / 86.8 % (head trained on int8 features),
 * accuracy 64.4 % → 62.0–62.6 %; the six shared photos agree 6 of 6. Agreement misses the bar by far,
 * so int8 stays an option.
 */
export const AUTO_PRECISION: FeaturePrecision = 'float32'

/** What the data says about the images, for 'auto' input size. */
export interface ImageSizes {
  /** Median of each training image's shorter side, in pixels; null when unknown. */
  medianShortSide: number | null
}

/**
 * How many times 'auto' upscales small images at least. Measured on 2,000 + 500 CIFAR-10 images
 * (32 px; README "MobileNetV2 in one click"): one-click test accuracy 62.6 % at 96 px (3×), 68.2 % at
 * 128 (4×), 68.8 % at 160 (5×), 64.4 % at 224 (7×). 3× loses to 224, 4× does not and costs about a
 * third of its backbone time; blown-up 32 px images gain nothing from more pixels.
 */
export const MIN_UPSCALE = 4

/**
 * The side 'auto' picks: the smallest offered side at least MIN_UPSCALE × the images' median shorter
 * side, so 32 px images get 128 and anything from 49 px up (every photo) keeps 224, the size the
 * ImageNet weights were trained at (on photos a smaller side loses: the test photos' ImageNet top-1
 * changed at 128 px and below). Unknown sizes keep 224 too.
 */
export function chooseInputSize(sizes: ImageSizes): InputSize {
  const side = sizes.medianShortSide
  if (side === null || !Number.isFinite(side) || side <= 0) return DEFAULT_FEATURE_SPEC.inputSize
  return INPUT_SIZES.find((size) => size >= MIN_UPSCALE * side) ?? DEFAULT_FEATURE_SPEC.inputSize
}

export interface ChosenFeatures {
  /** What stage 1 (the head) trains on. */
  spec: FeatureSpec
  /** One line per automatic choice, for the run's notes. */
  chosen: string[]
}

export function chooseFeatures(settings: Pick<TrainSettings, 'inputSize' | 'quantize'>, sizes: ImageSizes): ChosenFeatures {
  const chosen: string[] = []
  let inputSize: InputSize
  if (settings.inputSize === 'auto') {
    inputSize = chooseInputSize(sizes)
    chosen.push(`input size ${inputSize} px${sizes.medianShortSide === null ? '' : ` (images' median shorter side ${Math.round(sizes.medianShortSide)} px)`}`)
  } else inputSize = settings.inputSize
  let precision: FeaturePrecision
  if (settings.quantize === 'auto') {
    precision = AUTO_PRECISION
    if (precision === 'int8') chosen.push('int8 backbone')
  } else precision = settings.quantize === 'int8' ? 'int8' : 'float32'
  return { spec: { inputSize, boundary: 'pooled', precision }, chosen }
}
