// Static QDQ int8 quantization of an ONNX graph Pictor exported (src-main/onnx): per-channel
// symmetric int8 Conv weights, per-tensor activations calibrated on sample images by running the
// float graph. The result is an ordinary ONNX file (opset 17, QuantizeLinear/DequantizeLinear
// only) that any runtime can load; ONNX Runtime's CPU provider fuses it into QLinearConv and
// QLinearAdd (onnxruntime.ai "Quantize ONNX models": QDQ format, U8S8 the default on x86).
import { decodeModel, encodeModel } from '../onnx-schema'
import { calibrateRanges, type CalibrationImages, type CalibrationMethod, type OpenCalibrationSession } from './calibrate'
import { insertQdq } from './insert-qdq'
import { foldPadsIntoConvs, planQdq } from './qdq-plan'
import { REDUCED_WEIGHT_MAX, type ActivationType } from './qdq-params'

export interface QuantizeOptions {
  images: CalibrationImages
  /** Opens an ONNX Runtime session answering every output (the caller's: the runtime lives above this floor). */
  open: OpenCalibrationSession
  /** Default 'minmax'. */
  method?: CalibrationMethod
  /** For 'percentile', default 99.99. */
  percentile?: number
  /** Default 'uint8' (ONNX Runtime's fastest form on x86: U8S8). */
  activationType?: ActivationType
  /**
   * 7-bit weights (±63), default true (ONNX Runtime's reduce_range). On x86 without VNNI (AVX2, as
   * here) its u8·s8 kernels add pairs of products in 16 bits, which saturate with full-range weights:
   * measured on MobileNetV2, the fused graph then drifted far from its own QDQ semantics (feature
   * cosine with float32 0.93–0.96 on photos instead of 0.99); 7 bits plus bias correction give 0.99.
   */
  reduceRange?: boolean
  /** How many convs, first in graph order, stay float32; default DEFAULT_FLOAT_CONVS. */
  floatConvs?: number
  /** Default true; see QdqOptions.biasCorrection. */
  biasCorrection?: boolean
  signal?: AbortSignal
}

/**
 * MobileNetV2's stem (Conv1, then the first bottleneck's depthwise and projection, at 112×112) stays
 * float32: measured, quantizing those three alone moved the pooled features of upscaled CIFAR-10
 * images to cosine 0.89–0.97 of float32's, and keeping them float brings every image to ≥ 0.988
 * (photos ≥ 0.991) for about 7 % of the network's multiply-adds.
 */
export const DEFAULT_FLOAT_CONVS = 3

/** Metadata key saying how a graph was quantized (kept with the model's other metadata). */
export const QUANTIZATION_KEY = 'pictor_quantization'

export interface QuantizeSummary {
  convs: number
  activations: number
  calibrationImages: number
  method: string
  /** All of it in words: what the model's pictor_quantization metadata says. */
  note: string
}

export async function quantizeOnnxModel(floatGraph: Uint8Array, options: QuantizeOptions): Promise<{ bytes: Uint8Array; summary: QuantizeSummary }> {
  const model = decodeModel(floatGraph)
  foldPadsIntoConvs(model)
  const firstConvs = model.graph.node.filter((node) => node.opType === 'Conv').slice(0, options.floatConvs ?? DEFAULT_FLOAT_CONVS)
  const plan = planQdq(model, new Set(firstConvs.map((node) => node.name)))
  const method = options.method ?? 'minmax'
  const activationType = options.activationType ?? 'uint8'
  // Calibrated on the pad-folded float graph: the same activations the QDQ graph will have.
  const ranges = await calibrateRanges(encodeModel(model), plan.activations, options.images, options.open, {
    method,
    ...(options.percentile !== undefined ? { percentile: options.percentile } : {}),
    ...(options.signal ? { signal: options.signal } : {})
  })
  const quantized = insertQdq(model, plan, ranges, {
    activationType,
    weightMax: (options.reduceRange ?? true) ? REDUCED_WEIGHT_MAX : 127,
    biasCorrection: options.biasCorrection ?? true
  })
  const described = method === 'percentile' ? `percentile ${options.percentile ?? 99.99}` : 'min-max'
  const bits = (options.reduceRange ?? true) ? '7-bit' : '8-bit'
  const correction = (options.biasCorrection ?? true) ? ', bias-corrected' : ''
  const note =
    `int8 QDQ: ${plan.convs.length} convs with per-channel ${bits} int8 weights${correction} (the first ${firstConvs.length} float32), ` +
    `${plan.activations.length} ${activationType} activations calibrated (${described}) on ${options.images.count} images`
  const summary: QuantizeSummary = { convs: plan.convs.length, activations: plan.activations.length, calibrationImages: options.images.count, method: described, note }
  quantized.metadataProps = [...quantized.metadataProps.filter((entry) => entry.key !== QUANTIZATION_KEY), { key: QUANTIZATION_KEY, value: note }]
  return { bytes: encodeModel(quantized), summary }
}
