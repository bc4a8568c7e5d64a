// What `pictor predict` (and later `pictor serve`) can predict with, behind one interface: a model
// Pictor exported (an .onnx file, or a TF.js folder; labels, input and preprocessing come from its
// metadata), or a project's run (ONNX Runtime on the run's whole classifier when present, else TF.js;
// an imported run always on ONNX Runtime).
import { availableParallelism } from 'node:os'
import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import * as tfl from '@tensorflow/tfjs-layers'
import type { Database } from 'better-sqlite3'
import type { BackendName } from '../contract/types'
import { AppError } from '../core/errors'
import { fileModelHandler } from '../models/tfjs-load'
import { activateBackend } from '../tfjs/backend'
import { loadOnnxRuntime, OnnxModel } from './onnx-runtime'
import { exportLayersModelToOnnx, readOnnxMetadata } from '../onnx/export-onnx'
import { loadRunClassifier } from './run-classifier'
import { decodeExample } from './decode'
import { applyByteTable, byteTable } from './pixel-scale'
import { runWithModel } from './run-choice'
import { predictRows } from './predict-images'
import { onnxRuntimeChosen } from './inference-engine'
import { metadataFromOnnxProps, readOwnMetadata, type ExportMetadata } from './model-metadata'

export interface Predictor {
  /** 'onnxruntime' or 'tfjs-<backend>'. */
  engine: string
  labels: string[]
  /** Reads one file into the model's input (h·w·c floats). Throws DecodeError for unreadable files. */
  preprocess(path: string): Promise<Float32Array>
  /** Probabilities per image, in label order. */
  predict(images: readonly Float32Array[]): Promise<Float32Array[]>
  dispose(): void
}

/** An exported model file; its labels and preprocessing from its metadata_props, else metadata.json beside it. */
export async function onnxFilePredictor(modelPath: string): Promise<Predictor> {
  const runtime = await loadOnnxRuntime()
  if (!runtime.ort) {
    throw new AppError('UNSUPPORTED', `predicting with an .onnx file needs ONNX Runtime (${runtime.reason}); use --project instead`)
  }
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(modelPath))
  } catch (error) {
    throw new AppError('NOT_FOUND', `cannot read ${modelPath}: ${(error as Error).message}`)
  }
  let metadata: ExportMetadata | null
  try {
    metadata = metadataFromOnnxProps(readOnnxMetadata(bytes)) ?? (await readOwnMetadata(dirname(modelPath)))
  } catch (error) {
    // A text file or a photo given as the model: say what a model is, not only what the parser tripped on.
    throw new AppError('INVALID_REQUEST', `${modelPath} is not a model Pictor exported (an .onnx file, a TF.js folder or an export folder): ${(error as Error).message}`)
  }
  if (!metadata) {
    throw new AppError('INVALID_REQUEST', `${modelPath} has no Pictor metadata (labels, input size, preprocessing) and no metadata.json beside it`)
  }
  const { height, width, channels } = metadata.input
  const table = scaleTable(metadata.preprocessing.scale, metadata.preprocessing.offset)
  const model = await createSession(bytes)
  return {
    engine: 'onnxruntime',
    labels: metadata.labels,
    preprocess: async (path) => applyByteTable(await decodeExample(path, { height, width, channels }), table),
    predict: (images) => runOnnx(model, images, [height, width, channels], metadata.labels.length),
    dispose: () => void model.dispose()
  }
}

/**
 * A model Pictor exported: an `.onnx` file, a TF.js folder (`model.json` + metadata.json), or the
 * export folder holding `onnx/` and/or `tfjs/` (ONNX Runtime's copy when it is installed).
 */
export async function exportedModelPredictor(path: string): Promise<Predictor> {
  const kind = (target: string) => (existsSync(target) ? (statSync(target).isDirectory() ? 'folder' : 'file') : null)
  const found = kind(path)
  if (found === null) throw new AppError('NOT_FOUND', `${path} does not exist`)
  if (found === 'file') {
    if (basename(path) === 'model.json') return tfjsFolderPredictor(dirname(path))
    return onnxFilePredictor(path)
  }
  if (kind(join(path, 'model.json')) === 'file') return tfjsFolderPredictor(path)
  if (kind(join(path, 'model.onnx')) === 'file') return onnxFilePredictor(join(path, 'model.onnx'))
  const onnx = join(path, 'onnx', 'model.onnx')
  const tfjs = join(path, 'tfjs', 'model.json')
  if (kind(onnx) === 'file' && (kind(tfjs) !== 'file' || (await onnxRuntimeChosen()))) return onnxFilePredictor(onnx)
  if (kind(tfjs) === 'file') return tfjsFolderPredictor(dirname(tfjs))
  throw new AppError('INVALID_REQUEST', `${path} holds no exported model (model.onnx, model.json, onnx/ or tfjs/)`)
}

/** An exported TF.js layers folder, on the best TF.js backend here. */
async function tfjsFolderPredictor(folder: string): Promise<Predictor> {
  const metadata = await readOwnMetadata(folder)
  if (!metadata) throw new AppError('INVALID_REQUEST', `${folder} has no Pictor metadata.json beside model.json`)
  const backend = await activateBackend()
  let model: tfl.LayersModel
  try {
    model = await tfl.loadLayersModel(fileModelHandler(join(folder, 'model.json')))
  } catch (error) {
    throw new AppError('INVALID_REQUEST', `${folder}/model.json does not load: ${(error as Error).message}`, { cause: error })
  }
  const { height, width, channels } = metadata.input
  const table = scaleTable(metadata.preprocessing.scale, metadata.preprocessing.offset)
  return {
    engine: `tfjs-${backend.name}`,
    labels: metadata.labels,
    preprocess: async (path) => applyByteTable(await decodeExample(path, { height, width, channels }), table),
    predict: (images) => predictRows(model, concat(images), [images.length, height, width, channels]),
    dispose: () => model.dispose()
  }
}

/** A run's classifier, on ONNX Runtime when present (and not forced off), else on TF.js. */
export async function runPredictor(db: Database, runId: number | undefined, options: { modelsDir: string; backend?: BackendName | null }): Promise<Predictor & { runId: number }> {
  const run = runWithModel(db, runId, 'to predict with')
  const classifier = await loadRunClassifier(db, run.id, { modelsDir: options.modelsDir, backend: options.backend ?? null })
  const base = { runId: run.id, labels: classifier.classNames, preprocess: classifier.preprocess }
  const classes = classifier.classNames.length
  const layers = classifier.model
  // An imported run has no TF.js model: its classifier already runs on ONNX Runtime.
  if (layers && !options.backend && (await onnxRuntimeChosen())) {
    try {
      const model = await createSession(exportLayersModelToOnnx(layers))
      // The tfjs copy is only needed to build the ONNX graph.
      classifier.dispose()
      return { ...base, engine: 'onnxruntime', predict: (images) => runOnnx(model, images, classifier.inputShape, classes), dispose: () => void model.dispose() }
    } catch (error) {
      classifier.dispose()
      throw error
    }
  }
  return {
    ...base,
    engine: classifier.engine,
    predict: (images) => classifier.predictBatch(concat(images), images.length),
    dispose: () => classifier.dispose()
  }
}

// One process, all cores: ONNX Runtime parallelises inside each call.
const createSession = (bytes: Uint8Array) => OnnxModel.create(bytes, { threads: availableParallelism() })

async function runOnnx(model: OnnxModel, images: readonly Float32Array[], shape: readonly number[], classes: number): Promise<Float32Array[]> {
  const output = await model.run(concat(images), [images.length, ...shape])
  return split(output, images.length, classes)
}

function concat(images: readonly Float32Array[]): Float32Array {
  const size = images[0]?.length ?? 0
  const joined = new Float32Array(images.length * size)
  images.forEach((image, index) => joined.set(image, index * size))
  return joined
}

function split(values: Float32Array, count: number, classes: number): Float32Array[] {
  if (values.length !== count * classes) throw new Error(`the model answered ${values.length} values for ${count} images × ${classes} classes`)
  return Array.from({ length: count }, (_, index) => values.slice(index * classes, (index + 1) * classes))
}

/** byte → byte * scale + offset, as an exported model's metadata describes its input. */
export function scaleTable(scale: number, offset: number): Float32Array {
  return byteTable((byte) => byte * scale + offset)
}
