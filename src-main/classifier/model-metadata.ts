// What an exported model needs beside its weights for someone else to use it correctly: the class
// names in output order, the input layout, and the exact preprocessing. A model fed pixels scaled
// differently than in training answers confidently and wrongly, so the numbers here are the ones
// our own preprocessing uses (see classifier/pixel-scale.ts and classifier/features/mobilenet-preprocess.ts).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ExportFormat } from '../contract/types'

export type ModelKind = 'cnn' | 'mobilenetv2'

/** What metadata may name as a model's kind: a kind Pictor trains, or 'external' for a model trained elsewhere and imported with flags. */
export type MetadataModelKind = ModelKind | 'external'

export interface ExportInput {
  name: 'input'
  height: number
  width: number
  channels: 1 | 3
  layout: 'NHWC'
  dtype: 'float32'
}

export interface ExportPreprocessing {
  description: string
  /** 'RGB' for colour models; 'L' (one grey channel, libvips' greyscale conversion) for greyscale CNNs. */
  colorOrder: 'RGB' | 'L'
  resize: { width: number; height: number; fit: 'fill'; kernel: 'lanczos3' }
  /** EXIF orientation is applied before resizing; transparency is flattened onto white. */
  exifOrientation: true
  alphaBackground: '#ffffff'
  /** model input = byte value (0–255) * scale + offset, per channel. */
  scale: number
  offset: number
}

export interface ExportMetadata {
  format: ExportFormat
  /** Marks a folder as written by Pictor: a later export may replace it (and only then). */
  exportedBy: 'pictor'
  pictorVersion: string
  /** The run it was exported from; 0 in metadata another tool wrote (e.g. a PyTorch training script). */
  runId: number
  modelKind: MetadataModelKind
  /** Class names in the order of the model's output. */
  labels: string[]
  input: ExportInput
  preprocessing: ExportPreprocessing
  output: 'probabilities'
  outputName: 'output'
  /** For mobilenetv2 runs, the backbone's weights version (`<id>@sha256:<hex>`); null for CNNs. */
  baseModelVersion: string | null
  createdAt: string
  /** Set for an int8 export (issue 18): how it was quantized and how it compares with float32. */
  quantization?: ExportQuantization
}

export interface ExportQuantization {
  precision: 'int8'
  /** In words: weights, activations, calibration (what the .onnx file's pictor_quantization says). */
  method: string
  calibrationImages: number
  float32Bytes: number
  int8Bytes: number
  /** On the project's test split at export time; null when it has no labeled test images. */
  test: { images: number; float32Top1: number; int8Top1: number; agreement: number } | null
}

export interface MetadataSource {
  runId: number
  kind: ModelKind
  classNames: readonly string[]
  inputShape: readonly [number, number, number]
  baseModelVersion: string | null
}

/**
 * The scaling each model kind was trained with. CNN: byte / 255 ([0, 1]); MobileNetV2: byte / 127.5 − 1
 * ([−1, 1], Keras' mobilenet_v2.preprocess_input). Written as scale and offset so any language
 * computes the same thing with one multiply-add.
 */
export function scalingFor(kind: ModelKind): { scale: number; offset: number } {
  return kind === 'mobilenetv2' ? { scale: 1 / 127.5, offset: -1 } : { scale: 1 / 255, offset: 0 }
}

export function buildMetadata(source: MetadataSource, format: ExportFormat, pictorVersion: string, now = new Date()): ExportMetadata {
  const [height, width, channels] = source.inputShape
  if (channels !== 1 && channels !== 3) throw new RangeError(`a model input has 1 or 3 channels, got ${channels}`)
  const { scale, offset } = scalingFor(source.kind)
  const range = source.kind === 'mobilenetv2' ? '[-1, 1] (x / 127.5 - 1)' : '[0, 1] (x / 255)'
  return {
    format,
    exportedBy: 'pictor',
    pictorVersion,
    runId: source.runId,
    modelKind: source.kind,
    labels: [...source.classNames],
    input: { name: 'input', height, width, channels, layout: 'NHWC', dtype: 'float32' },
    preprocessing: describePreprocessing({ height, width, channels }, { scale, offset }, ` to ${range}: value * scale + offset`),
    output: 'probabilities',
    outputName: 'output',
    baseModelVersion: source.baseModelVersion,
    createdAt: now.toISOString()
  }
}

/**
 * The preprocessing record for an input size and scaling; `scaled` ends the description (default: the
 * numbers, e.g. ": value * 0.0078 + -1").
 */
export function describePreprocessing(
  input: { height: number; width: number; channels: number },
  { scale, offset }: { scale: number; offset: number },
  scaled = `: value * ${scale} + ${offset}`
): ExportPreprocessing {
  const { height, width, channels } = input
  const colour = channels === 3 ? 'RGB' : 'greyscale (one channel)'
  return {
    description:
      `Apply EXIF orientation, flatten transparency onto white, convert to ${colour} 8-bit, resize to exactly ` +
      `${width}x${height} (stretching, no crop; lanczos3), then scale every byte${scaled}.`,
    colorOrder: channels === 3 ? 'RGB' : 'L',
    resize: { width, height, fit: 'fill', kernel: 'lanczos3' },
    exifOrientation: true,
    alphaBackground: '#ffffff',
    scale,
    offset
  }
}

/** The ONNX model's metadata_props: the whole record as JSON, plus its main fields one per key. */
export function onnxMetadataProps(metadata: ExportMetadata): Record<string, string> {
  return {
    pictor_metadata: JSON.stringify(metadata),
    labels: JSON.stringify(metadata.labels),
    input: JSON.stringify(metadata.input),
    preprocessing: JSON.stringify(metadata.preprocessing),
    run_id: String(metadata.runId),
    model_kind: metadata.modelKind,
    pictor_version: metadata.pictorVersion,
    ...(metadata.baseModelVersion ? { base_model_version: metadata.baseModelVersion } : {})
  }
}

/**
 * Reads metadata back (from metadata.json or the ONNX metadata_props), checking what prediction
 * relies on. Returns null when the source is not a Pictor export; throws when it is one but damaged.
 */
export function parseMetadata(value: unknown): ExportMetadata | null {
  if (typeof value !== 'object' || value === null) return null
  const record = value as Partial<ExportMetadata>
  if (record.exportedBy !== 'pictor') return null
  const { labels, input, preprocessing } = record
  const problems: string[] = []
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((label) => typeof label === 'string')) problems.push('labels')
  if (!input || !Number.isInteger(input.height) || !Number.isInteger(input.width) || (input.channels !== 1 && input.channels !== 3)) {
    problems.push('input')
  }
  if (!preprocessing || !Number.isFinite(preprocessing.scale) || !Number.isFinite(preprocessing.offset)) problems.push('preprocessing')
  if (problems.length > 0) throw new Error(`the model's Pictor metadata is damaged (${problems.join(', ')})`)
  return record as ExportMetadata
}

/** From the ONNX metadata_props written by onnxMetadataProps. */
export function metadataFromOnnxProps(props: Record<string, string>): ExportMetadata | null {
  const whole = props.pictor_metadata
  if (whole === undefined) return null
  try {
    return parseMetadata(JSON.parse(whole))
  } catch (error) {
    throw new Error(`the model's Pictor metadata is damaged: ${(error as Error).message}`, { cause: error })
  }
}

/** The file beside an exported model that describes it. */
export const METADATA_FILE = 'metadata.json'

/** The metadata of a folder Pictor exported, or null when it has none (or not ours, or damaged). */
export async function readOwnMetadata(folder: string): Promise<ExportMetadata | null> {
  try {
    return parseMetadata(JSON.parse(await readFile(join(folder, METADATA_FILE), 'utf8')))
  } catch {
    return null
  }
}
