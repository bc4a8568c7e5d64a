// What `runs import` reads before it trusts anything: the .onnx file (given, or model.onnx in the
// folder given), and the metadata Pictor will run it with — from the model's metadata_props, else a
// metadata.json beside it, else the labels and preprocessing the user gave (which, given, also
// override the model's own). Strict where a wrong value would make confident wrong predictions:
// labels, input size and pixel scaling; tolerant of what an outside writer has no reason to know
// (run id, Pictor version, creation time).
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { PREPROCESSING_PRESETS, type PreprocessingPreset } from '../contract/run-import'
import { AppError, fromSystemError } from '../core/errors'
import { readOnnxMetadata } from '../onnx/export-onnx'
import { onnxGraphInputs } from '../onnx/onnx-inspect'
import { describePreprocessing, METADATA_FILE, metadataFromOnnxProps, parseMetadata, type ExportInput, type ExportMetadata, type ExportPreprocessing, type MetadataModelKind } from './model-metadata'

export interface ImportRequest {
  path: string
  labels?: readonly string[]
  preprocessing?: PreprocessingPreset | { scale: number; offset: number }
}

/** What an imported run's model is run with (stored beside its bytes). */
export interface ImportedModelMetadata {
  labels: string[]
  input: ExportInput
  preprocessing: ExportPreprocessing
  /** What the model's metadata called it ('mobilenetv2', 'cnn'), or 'external'. */
  modelKind: MetadataModelKind
  baseModelVersion: string | null
  /** The writer's pictorVersion field, when it had one. */
  writtenBy: string | null
  metadataFrom: 'metadata_props' | 'metadata.json' | 'flags'
}

export interface ImportSource {
  onnxPath: string
  bytes: Uint8Array
  metadata: ImportedModelMetadata
}

const ONNX_FILE = 'model.onnx'

export async function readImportSource(request: ImportRequest): Promise<ImportSource> {
  const onnxPath = await locateOnnx(request.path)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(onnxPath))
  } catch (error) {
    throw fromSystemError(error, onnxPath) ?? error
  }
  let props: Record<string, string>
  try {
    props = readOnnxMetadata(bytes)
  } catch (error) {
    throw new AppError('INVALID_REQUEST', `${onnxPath} is not an ONNX model (${(error as Error).message.replace(/^not an ONNX model: /, '')})`)
  }
  const found = await ownMetadata(onnxPath, props)
  const graphInput = onnxGraphInputs(bytes)[0]
  const fromGraph = graphInput && graphInput.dims.length === 4 ? graphInput.dims.slice(1) : null

  const labels = request.labels ? [...request.labels] : found?.metadata.labels
  const scaling = request.preprocessing ? scalingOf(request.preprocessing) : found?.metadata.preprocessing
  if (!labels || !scaling) {
    const missing = [!labels && 'labels', !scaling && 'preprocessing'].filter(Boolean).join(' and ')
    throw new AppError(
      'INVALID_REQUEST',
      `${onnxPath} has no Pictor metadata (metadata_props or ${METADATA_FILE} beside it); give its ${missing} (--labels a,b,c, --preprocessing mobilenet|unit|SCALE,OFFSET)`
    )
  }
  checkLabels(labels)
  const input = inputOf(onnxPath, found?.metadata.input ?? null, fromGraph)
  if (found) checkPipeline(onnxPath, found.metadata.preprocessing)
  return {
    onnxPath,
    bytes,
    metadata: {
      labels,
      input,
      preprocessing: describePreprocessing(input, scaling),
      modelKind: found?.metadata.modelKind ?? 'external',
      baseModelVersion: found?.metadata.baseModelVersion ?? null,
      writtenBy: typeof found?.metadata.pictorVersion === 'string' ? found.metadata.pictorVersion : null,
      metadataFrom: request.labels && request.preprocessing ? 'flags' : (found?.from ?? 'flags')
    }
  }
}

/** A file is taken as the model; a folder must hold model.onnx (or onnx/model.onnx, a Pictor export folder). */
async function locateOnnx(path: string): Promise<string> {
  const isFolder = async (target: string) => (await stat(target).catch(() => null))?.isDirectory() ?? null
  const found = await stat(path).catch((error: unknown) => {
    throw fromSystemError(error, path) ?? error
  })
  if (!found.isDirectory()) return path
  for (const candidate of [join(path, ONNX_FILE), join(path, 'onnx', ONNX_FILE)]) if ((await isFolder(candidate)) === false) return candidate
  throw new AppError('NOT_FOUND', `${path} holds no ${ONNX_FILE} (nor onnx/${ONNX_FILE})`)
}

async function ownMetadata(onnxPath: string, props: Record<string, string>): Promise<{ metadata: ExportMetadata; from: ImportedModelMetadata['metadataFrom'] } | null> {
  const damaged = (where: string, error: unknown) => new AppError('INVALID_REQUEST', `${where}: ${(error as Error).message}`)
  try {
    const metadata = metadataFromOnnxProps(props)
    if (metadata) return { metadata, from: 'metadata_props' }
  } catch (error) {
    throw damaged(`${onnxPath}'s metadata_props`, error)
  }
  const file = join(dirname(onnxPath), METADATA_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return null
  }
  try {
    const metadata = parseMetadata(JSON.parse(text))
    if (!metadata) throw new Error(`it is not Pictor metadata (no "exportedBy": "pictor")`)
    return { metadata, from: 'metadata.json' }
  } catch (error) {
    throw damaged(file, error)
  }
}

function scalingOf(preprocessing: NonNullable<ImportRequest['preprocessing']>): { scale: number; offset: number } {
  return typeof preprocessing === 'string' ? PREPROCESSING_PRESETS[preprocessing] : preprocessing
}

function checkLabels(labels: readonly string[]): void {
  if (labels.length < 2) throw new AppError('INVALID_REQUEST', `a classifier needs at least 2 labels, got ${labels.length}`)
  const blank = labels.findIndex((label) => label.trim() === '')
  if (blank >= 0) throw new AppError('INVALID_REQUEST', `label ${blank + 1} is empty`)
  const repeated = labels.filter((label, index) => labels.indexOf(label) !== index)
  if (repeated.length > 0) throw new AppError('INVALID_REQUEST', `the labels name ${[...new Set(repeated)].join(', ')} more than once`)
}

/** The input size from the metadata, checked against the graph's fixed sizes; else from the graph alone. */
function inputOf(onnxPath: string, stated: ExportInput | null, graph: (number | null)[] | null): ExportInput {
  const name = basename(onnxPath)
  if (stated) {
    const [height, width, channels] = graph ?? []
    const clash = [height, width, channels].some((size, index) => typeof size === 'number' && size !== [stated.height, stated.width, stated.channels][index])
    if (clash) {
      throw new AppError('INVALID_REQUEST', `${name}'s metadata says input ${stated.height}×${stated.width}×${stated.channels}, but its graph takes [n, ${graph!.map((size) => size ?? '?').join(', ')}]`)
    }
    return { name: 'input', height: stated.height, width: stated.width, channels: stated.channels, layout: 'NHWC', dtype: 'float32' }
  }
  const [height, width, channels] = graph ?? []
  if (!height || !width || (channels !== 1 && channels !== 3)) {
    throw new AppError(
      'INVALID_REQUEST',
      `${name}'s input is not a fixed NHWC image ([n, height, width, 1 or 3]; it takes [${graph ? ['n', ...graph.map((size) => size ?? '?')].join(', ') : '?'}]); Pictor needs its metadata to know the input size`
    )
  }
  return { name: 'input', height, width, channels, layout: 'NHWC', dtype: 'float32' }
}

/** Pictor decodes one way (EXIF, white behind alpha, stretch to size): a model that says it wants otherwise would be fed wrongly. */
function checkPipeline(onnxPath: string, preprocessing: Partial<ExportPreprocessing>): void {
  const fit = preprocessing.resize?.fit
  if (fit !== undefined && fit !== 'fill') throw new AppError('INVALID_REQUEST', `${basename(onnxPath)} wants images resized with fit "${fit}"; Pictor stretches them to size (fit "fill")`)
  const order = preprocessing.colorOrder
  if (order !== undefined && order !== 'RGB' && order !== 'L') throw new AppError('INVALID_REQUEST', `${basename(onnxPath)} wants colour order "${order}"; Pictor gives RGB (or L for one channel)`)
}

