// int8 graphs calibrated on the project's own images (issue 18): the quantizer extraction uses when
// its caller gave none (training, and evaluating or predicting with an int8 run, whose graph may
// not be cached on this machine), and the one an int8 export uses on a run's training images.
// Which images is deterministic (the same examples give the same graph): up to 200, spread evenly
// over the examples ordered by content hash, one per hash.
import { DecodeError } from '../decode'
import { OnnxModel } from '../onnx-runtime'
import type { CalibrationImages } from '../../onnx/quantize/calibrate'
import { quantizeOnnxModel, type QuantizeOptions, type QuantizeSummary } from '../../onnx/quantize/quantize-model'
import type { FeatureSpec } from './feature-spec'
import { preprocessForMobileNet } from './mobilenet-preprocess'
import type { GraphQuantizer } from './onnx-feature-extractor'

/** Images calibration looks at: ~200 is where ONNX Runtime's own tools settle, and costs a few seconds. */
export const CALIBRATION_IMAGES = 200

export interface CalibrationExample {
  path: string
  contentHash: string | null
}

/** Up to `count` examples, one per content hash, evenly spread over them in hash order. */
export function pickCalibrationExamples<T extends CalibrationExample>(examples: readonly T[], count = CALIBRATION_IMAGES): T[] {
  const byHash = new Map<string, T>()
  for (const example of examples) if (example.contentHash !== null && !byHash.has(example.contentHash)) byHash.set(example.contentHash, example)
  const sorted = [...byHash.keys()].sort().map((hash) => byHash.get(hash)!)
  if (sorted.length <= count) return sorted
  return Array.from({ length: count }, (_, index) => sorted[Math.floor((index * sorted.length) / count)]!)
}

/**
 * The images as MobileNetV2 sees them at `inputSize`, decoded when calibration asks for them (200
 * of them at 224 px would hold 120 MB). A file that no longer decodes counts as a mid-grey image
 * (all zeros after scaling) rather than failing the build over one image.
 */
export function mobileNetCalibrationImages(paths: readonly string[], inputSize: number): CalibrationImages {
  return {
    shape: [inputSize, inputSize, 3],
    count: paths.length,
    async get(index) {
      try {
        return await preprocessForMobileNet(paths[index]!, inputSize)
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error
        return new Float32Array(inputSize * inputSize * 3)
      }
    }
  }
}

/** Quantizes a float graph whose input is MobileNetV2's, calibrated on these image files with ONNX Runtime. */
export async function quantizeOnImages(
  floatGraph: Uint8Array,
  paths: readonly string[],
  inputSize: number,
  options: Omit<QuantizeOptions, 'images' | 'open'> = {}
): Promise<{ bytes: Uint8Array; summary: QuantizeSummary }> {
  if (paths.length === 0) throw new Error('int8 quantization needs images to calibrate on, and there are none')
  return quantizeOnnxModel(floatGraph, {
    ...options,
    images: mobileNetCalibrationImages(paths, inputSize),
    open: (bytes) => OnnxModel.create(bytes, { extraOutputs: true })
  })
}

/** The GraphQuantizer extraction uses by default: calibrated on (up to 200 of) the examples being extracted. */
export function calibratingQuantizer(examples: readonly CalibrationExample[]): GraphQuantizer {
  const chosen = pickCalibrationExamples(examples).map((example) => example.path)
  return async (floatGraph: Uint8Array, spec: FeatureSpec) => (await quantizeOnImages(floatGraph, chosen, spec.inputSize)).bytes
}
