// A finished run's model as one thing every consumer (evaluation, suggestions, robustness, export)
// uses the same way: image file → model input → class probabilities, with output units mapped to
// the project's class ids. One loader, so no consumer can feed a model differently than it was trained.
import * as tfl from '@tensorflow/tfjs-layers'
import type { Database } from 'better-sqlite3'
import type { BackendName, TrainSettings } from '../contract/types'
import { AppError } from '../core/errors'
import { loadRunModel } from '../db/queries/run-models'
import { classIdForRecordedName } from '../db/queries/classes'
import { getRun, runClassIds } from '../db/queries/training-runs'
import { activateBackend } from '../tfjs/backend'
import { decodeExample, type InputShape } from './decode'
import { applyByteTable, UNIT_SCALE } from './pixel-scale'
import { deserializeModel } from '../tfjs/model-serialization'
import { FeatureExtractor } from './features/feature-extractor'
import { assembleClassifier } from './features/assemble-classifier'
import { featureCacheKey, specOrDefault, type FeatureSpec } from './features/feature-spec'
import { preprocessForMobileNet } from './features/mobilenet-preprocess'
import { transferInfoOf } from './transfer-info'
import { IMPORTED_MODEL_KIND } from '../contract/run-import'
import { loadImportedClassifier } from './imported-classifier'
import { predictRows } from './predict-images'

export interface RunClassifier {
  runId: number
  /** 'onnx': a model trained elsewhere and imported (`runs import`), run by ONNX Runtime. */
  kind: 'cnn' | 'mobilenetv2' | typeof IMPORTED_MODEL_KIND
  /** The project's class id for each output unit, in output order. */
  classIds: number[]
  /** The class names the run trained on, in output order. */
  classNames: string[]
  /** [height, width, channels] of one model input (NHWC). */
  inputShape: [number, number, number]
  /**
   * The whole classifier: preprocessed image batch [n, h, w, c] → probabilities [n, classes]. Null for an
   * imported run, which has no TF.js model (predictBatch runs it): no gradients, no TF.js export.
   */
  model: tfl.LayersModel | null
  /** For mobilenetv2 runs, the trained head alone: pooled features [n, 1280] → probabilities. */
  head: tfl.LayersModel | null
  /** The exact backbone weights a mobilenetv2 head was trained on; null for a CNN. */
  baseModelVersion: string | null
  /** What a mobilenetv2 run's frozen part computes (its head's input); null for a CNN or an imported run. */
  featureSpec: FeatureSpec | null
  /** Where those features are cached (image_features.model_version); null with featureSpec. */
  featureCacheKey: string | null
  /**
   * Model-input units per unit of pixel intensity on a 0–1 scale, and the range valid inputs span.
   * CNN: x/255 → 1 and [0, 1]; MobileNetV2: x/127.5 − 1 → 2 and [−1, 1]. FGSM's ε is in pixel units.
   */
  inputScale: number
  inputRange: [number, number]
  /** Human-readable preprocessing, for metadata and exports. */
  preprocessing: string
  /** Reads one image file into exactly what `model` takes (h·w·c float32 values). Throws DecodeError. */
  preprocess(path: string): Promise<Float32Array>
  /** The tfjs backend the model runs on; null for an imported run. */
  backend: BackendName | null
  /** What predictBatch runs on, e.g. 'tfjs-wasm' or 'onnxruntime'. */
  engine: string
  /** Probabilities of `count` preprocessed images laid end to end in `input`, one row per image. */
  predictBatch(input: Float32Array, count: number): Promise<Float32Array[]>
  dispose(): void
}

export interface LoadRunClassifierOptions {
  /** Where base models live (ServiceContext.modelsDir); needed for mobilenetv2 runs. */
  modelsDir: string
  backend?: BackendName | null
}

export const CNN_PREPROCESSING = 'decoded with EXIF rotation, white behind transparency, resized to the input size (fit fill), x / 255'

/** The classifier of a finished run with a stored model. Errors are AppErrors a user can act on. */
export async function loadRunClassifier(db: Database, runId: number, options: LoadRunClassifierOptions): Promise<RunClassifier> {
  const run = getRun(db, runId)
  if (!run) throw new AppError('NOT_FOUND', `run ${runId} does not exist`)
  if (run.modelKind === IMPORTED_MODEL_KIND) return loadImportedClassifier(db, run, runClassIds(db, runId) ?? classIdsOf(db, run.classNames))
  const stored = loadRunModel(db, runId)
  if (!stored) throw new AppError('INVALID_REQUEST', `run ${runId} has no trained model (status: ${run.status})`)
  const backend = await activateBackend(options.backend ?? undefined)
  const classIds = runClassIds(db, runId) ?? classIdsOf(db, run.classNames)
  const trained = await deserializeModel(stored)
  if (run.modelKind === 'mobilenetv2') {
    const transfer = transferInfoOf(run.summary)
    if (!transfer) {
      trained.dispose()
      throw new AppError('INVALID_REQUEST', `run ${runId} does not record which base model it was trained on`)
    }
    const spec = specOrDefault(transfer.featureSpec)
    const size = spec.inputSize
    let extractor: FeatureExtractor
    try {
      // TF.js runs float32; an int8 run's features come from ONNX Runtime (predict-images), within the
      // tolerance the int8 check measured.
      extractor = await FeatureExtractor.load(options.modelsDir, { backend: backend.name, spec: { ...spec, precision: 'float32' } })
    } catch (error) {
      trained.dispose()
      throw new AppError('INVALID_REQUEST', `run ${runId} needs the MobileNetV2 base model; install it in the Train view (${(error as Error).message})`)
    }
    if (extractor.version !== transfer.baseModelVersion) {
      extractor.dispose()
      trained.dispose()
      throw new AppError(
        'INVALID_REQUEST',
        `run ${runId} was trained on base model ${transfer.baseModelVersion}, but ${extractor.version} is installed; retrain to use it`
      )
    }
    const model = assembleClassifier(extractor.model, trained)
    return {
      runId,
      kind: 'mobilenetv2',
      classIds,
      classNames: run.classNames,
      inputShape: [size, size, 3],
      model,
      head: trained,
      baseModelVersion: transfer.baseModelVersion,
      featureSpec: spec,
      featureCacheKey: featureCacheKey(transfer.baseModelVersion, spec),
      inputScale: 2,
      inputRange: [-1, 1],
      preprocessing: transfer.preprocessing,
      preprocess: (path) => preprocessForMobileNet(path, size),
      backend: backend.name,
      engine: `tfjs-${backend.name}`,
      predictBatch: (input, count) => predictRows(model, input, [count, size, size, 3]),
      // The assembled model holds every layer of both parts (the head's once more, as applied
      // inside it): disposing it releases all of them; disposing the parts instead leaked the head.
      dispose: () => model.dispose()
    }
  }
  const settings = run.settings as unknown as TrainSettings
  const shape: InputShape = { height: settings.imageSize, width: settings.imageSize, channels: settings.channels }
  return {
    runId,
    kind: 'cnn',
    classIds,
    classNames: run.classNames,
    inputShape: [shape.height, shape.width, shape.channels],
    model: trained,
    head: null,
    baseModelVersion: null,
    featureSpec: null,
    featureCacheKey: null,
    inputScale: 1,
    inputRange: [0, 1],
    preprocessing: CNN_PREPROCESSING,
    // The training pipeline's own scaling (src-main/training/data/batches.ts).
    preprocess: async (path) => applyByteTable(await decodeExample(path, shape), UNIT_SCALE),
    backend: backend.name,
    engine: `tfjs-${backend.name}`,
    predictBatch: (input, count) => predictRows(trained, input, [count, shape.height, shape.width, shape.channels]),
    dispose: () => trained.dispose()
  }
}


/**
 * Output unit → class id for runs from before schema v6, which recorded class names only: each is
 * matched to the live class of that name, else to the most recently deleted one (a deleted class
 * keeps its id for history). A class renamed since can no longer be matched: a clear error.
 */
export function classIdsOf(db: Database, classNames: readonly string[]): number[] {
  return classNames.map((name) => {
    const id = classIdForRecordedName(db, name)
    if (id === undefined) {
      throw new AppError('INVALID_REQUEST', `the run's class "${name}" no longer exists (renamed since training?); retrain to review it`)
    }
    return id
  })
}
