// The model `pictor serve` answers with: one ONNX Runtime session on all cores, fed exactly as the
// model was trained (labels, input size and byte scaling from Pictor's metadata). A project's run
// (CNN or MobileNetV2) is exported to ONNX in memory with a second graph output, `features` (the
// input of the last layer: MobileNetV2's pooled 1280 values, a CNN's penultimate layer), so one
// session call gives both the probabilities and the drift monitor's features. An exported .onnx
// file and an imported run carry no such output: their features are null.
import { availableParallelism } from 'node:os'
import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { Database } from 'better-sqlite3'
import { AppError } from '../core/errors'
import { openProjectDatabase } from '../db/connection'
import { getProject } from '../db/queries/project'
import { loadRunOnnxModel } from '../db/queries/run-onnx-models'
import { IMPORTED_MODEL_KIND } from '../contract/run-import'
import { exportLayersModelToOnnx, readOnnxMetadata } from '../onnx/export-onnx'
import { DecodeError, decodeBuffer } from '../classifier/decode'
import { buildMetadata, metadataFromOnnxProps, readOwnMetadata, type ExportMetadata } from '../classifier/model-metadata'
import type { ImportedModelMetadata } from '../classifier/onnx-import-source'
import { OnnxModel } from '../classifier/onnx-runtime'
import { applyByteTable } from '../classifier/pixel-scale'
import { scaleTable } from '../classifier/predictors'
import { loadRunClassifier } from '../classifier/run-classifier'
import { runWithModel } from '../classifier/run-choice'
import type { ServeModel } from './serve-types'
import { driftFeatureTensor } from './drift/penultimate-features'

/** `--model EXPORT_DIR|MODEL.onnx`, or `--project P [--run ID]` (the newest run with a model by default). */
export type ServeSource = { model: string } | { project: string; runId?: number }

export interface LoadServeModelOptions {
  /** The name in URLs; a slug of the project's or the export's name by default. */
  name?: string
  /** Where base models live (MobileNetV2 runs need the backbone). */
  modelsDir: string
  /** Images with more pixels are refused from their header, before decoding (default 100 megapixels). */
  maxPixels?: number
  /** ONNX Runtime threads per call; all logical cores by default. */
  threads?: number
}

export const DEFAULT_MAX_PIXELS = 100_000_000
export const FEATURES_OUTPUT = 'features'

/** An image over the pixel limit: refused as a decompression bomb (the server answers 413). */
export class TooManyPixelsError extends DecodeError {}

/** What a ServeModel is made of, whatever it came from. */
interface ModelParts {
  name: string
  onnx: Uint8Array
  withFeatures: boolean
  labels: string[]
  inputShape: [number, number, number]
  preprocessing: { scale: number; offset: number; description: string }
}

export async function loadServeModel(source: ServeSource, options: LoadServeModelOptions): Promise<ServeModel> {
  if (options.name !== undefined) checkName(options.name)
  const parts = 'model' in source ? await exportedParts(resolve(source.model)) : await runParts(resolve(source.project), source.runId, options.modelsDir)
  return createServeModel({ ...parts, name: options.name ?? parts.name }, options)
}

/** A name that fits in a URL path segment as it is. */
export function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new AppError('INVALID_REQUEST', `the model name "${name}" must be 1-64 letters, digits, '.', '_' or '-' (it goes into URLs)`)
  }
}

/** "My Flowers (v2)" → "my-flowers-v2"; "model" when nothing is left. */
export function slugName(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '')
  return slug || 'model'
}

async function createServeModel(parts: ModelParts, options: LoadServeModelOptions): Promise<ServeModel> {
  const session = await OnnxModel.create(parts.onnx, { threads: options.threads ?? availableParallelism(), extraOutputs: parts.withFeatures })
  const [height, width, channels] = parts.inputShape
  const shape = { height, width, channels: channels as 1 | 3 }
  const table = scaleTable(parts.preprocessing.scale, parts.preprocessing.offset)
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  const classes = parts.labels.length
  return {
    name: parts.name,
    labels: parts.labels,
    inputShape: parts.inputShape,
    preprocessing: parts.preprocessing,
    async preprocessBuffer(bytes) {
      try {
        // sharp decodes on libuv's pool: a large photo does not stall the event loop.
        return applyByteTable(await decodeBuffer(bytes, shape, { maxPixels }), table)
      } catch (error) {
        const reason = ((error as Error).message ?? String(error)).split('\n')[0]!
        if (/pixel limit/i.test(reason)) throw new TooManyPixelsError('the image', `it has more than ${maxPixels / 1e6} megapixels`, { cause: error })
        throw new DecodeError('the image', reason, { cause: error })
      }
    },
    async predict(batch) {
      const input = new Float32Array(batch.length * height * width * channels)
      batch.forEach((image, index) => input.set(image, index * image.length))
      const outputs = await session.runAll(input, [batch.length, height, width, channels])
      const probabilities = rows(outputs[session.outputName]!.values, batch.length, classes)
      const features = parts.withFeatures ? outputs[FEATURES_OUTPUT] : undefined
      return { probabilities, features: features ? rows(features.values, batch.length, features.values.length / batch.length) : null }
    },
    dispose: () => void session.dispose()
  }
}

function rows(values: Float32Array, count: number, width: number): Float32Array[] {
  if (values.length !== count * width) throw new Error(`the model answered ${values.length} values for ${count} images × ${width}`)
  return Array.from({ length: count }, (_, row) => values.slice(row * width, (row + 1) * width))
}

/** An export folder (onnx/model.onnx inside), a folder holding model.onnx, or the .onnx file itself. */
async function exportedParts(path: string): Promise<ModelParts> {
  if (!existsSync(path)) throw new AppError('NOT_FOUND', `${path} does not exist`)
  let file = path
  if (statSync(path).isDirectory()) {
    const candidates = [join(path, 'model.onnx'), join(path, 'onnx', 'model.onnx')]
    const found = candidates.find((candidate) => existsSync(candidate))
    if (!found) {
      const tfjsOnly = existsSync(join(path, 'model.json')) || existsSync(join(path, 'tfjs', 'model.json'))
      throw new AppError(
        tfjsOnly ? 'UNSUPPORTED' : 'INVALID_REQUEST',
        tfjsOnly ? `${path} holds a TF.js export only; serving needs the ONNX export (pictor export --format onnx)` : `${path} holds no exported model (model.onnx or onnx/model.onnx)`
      )
    }
    file = found
  }
  const bytes = new Uint8Array(await readFile(file))
  let metadata: ExportMetadata | null
  try {
    metadata = metadataFromOnnxProps(readOnnxMetadata(bytes)) ?? (await readOwnMetadata(dirname(file)))
  } catch (error) {
    throw new AppError('INVALID_REQUEST', `${file} is not a model Pictor exported: ${(error as Error).message}`)
  }
  if (!metadata) throw new AppError('INVALID_REQUEST', `${file} has no Pictor metadata (labels, input size, preprocessing) and no metadata.json beside it`)
  const { height, width, channels } = metadata.input
  const { scale, offset, description } = metadata.preprocessing
  return {
    name: slugName(exportName(file)),
    onnx: bytes,
    withFeatures: false,
    labels: metadata.labels,
    inputShape: [height, width, channels],
    preprocessing: { scale, offset, description }
  }
}

/** .../flowers-export/onnx/model.onnx → flowers-export; .../daisy.onnx → daisy. */
function exportName(file: string): string {
  const stem = basename(file).replace(/\.onnx$/i, '')
  if (stem !== 'model') return stem
  const folder = dirname(file)
  return basename(folder) === 'onnx' ? basename(dirname(folder)) : basename(folder)
}

async function runParts(projectPath: string, runId: number | undefined, modelsDir: string): Promise<ModelParts> {
  const db = openProjectDatabase(projectPath)
  try {
    const run = runWithModel(db, runId, 'to serve')
    const name = slugName(getProject(db)?.name ?? basename(projectPath).replace(/\.pictor$/i, ''))
    if (run.modelKind === IMPORTED_MODEL_KIND) return importedParts(db, run.id, name)
    const classifier = await loadRunClassifier(db, run.id, { modelsDir })
    try {
      const model = classifier.model!
      const kind = classifier.kind as 'cnn' | 'mobilenetv2'
      const metadata = buildMetadata(
        { runId: run.id, kind, classNames: classifier.classNames, inputShape: classifier.inputShape, baseModelVersion: classifier.baseModelVersion },
        'onnx',
        'serve'
      )
      const onnx = exportLayersModelToOnnx(model, { extraOutputs: [{ name: FEATURES_OUTPUT, tensor: driftFeatureTensor(model) }] })
      const { scale, offset, description } = metadata.preprocessing
      return { name, onnx, withFeatures: true, labels: classifier.classNames, inputShape: classifier.inputShape, preprocessing: { scale, offset, description } }
    } finally {
      // The TF.js copy is only needed to build the ONNX graph.
      classifier.dispose()
    }
  } finally {
    db.close()
  }
}

function importedParts(db: Database, runId: number, name: string): ModelParts {
  const stored = loadRunOnnxModel<ImportedModelMetadata>(db, runId)
  if (!stored) throw new AppError('INVALID_REQUEST', `run ${runId} has no imported model`)
  const { labels, input, preprocessing } = stored.metadata
  return {
    name,
    onnx: stored.onnx,
    withFeatures: false,
    labels,
    inputShape: [input.height, input.width, input.channels],
    preprocessing: { scale: preprocessing.scale, offset: preprocessing.offset, description: preprocessing.description }
  }
}
