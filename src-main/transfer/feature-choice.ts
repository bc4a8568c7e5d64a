// Which features a MobileNetV2 run trains on (issue 18): the input size and the backbone's precision
// from the settings, with 'auto' resolved here, once, for the Train view, `pictor train` and every
// retrain alike. The boundary follows from stage 2: a head alone trains on the pooled vector.
import type { TrainSettings } from '../contract/types'
import { DEFAULT_FEATURE_SPEC, type FeaturePrecision, type FeatureSpec, type InputSize } from '../classifier/features/feature-spec'

/** What 'auto' precision means on these machines (see README "MobileNetV2 in one click": measured, not assumed). */
export const AUTO_PRECISION: FeaturePrecision = 'float32'

/** What the data says about the images, for 'auto' input size. */
export interface ImageSizes {
  /** Median of each training image's shorter side, in pixels; null when unknown. */
  medianShortSide: number | null
}

/** The side 'auto' picks. Until measured otherwise: 224, the size the ImageNet weights were trained at. */
export function chooseInputSize(_sizes: ImageSizes): InputSize {
  return DEFAULT_FEATURE_SPEC.inputSize
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
