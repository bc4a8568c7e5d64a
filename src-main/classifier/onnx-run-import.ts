// `runs import`: an ONNX classifier trained elsewhere becomes a finished run of the project, so
// Review, suggestions, label issues, export and predict work on it as on a run trained here. Nothing
// is written until ONNX Runtime has loaded the model and answered one batch with one probability per
// label; then the run and its model land in one transaction.
import type { Database } from 'better-sqlite3'
import { IMPORTED_MODEL_KIND, type ImportedRun } from '../contract/run-import'
import { AppError } from '../core/errors'
import { findLiveClassByName } from '../db/queries/classes'
import { insertImportedRun } from '../db/queries/run-onnx-models'
import { OnnxModel } from './onnx-runtime'
import { readImportSource, type ImportedModelMetadata, type ImportRequest } from './onnx-import-source'

export const IMPORTED_ENGINE = 'onnxruntime'

export async function importOnnxRun(db: Database, request: ImportRequest, now = Date.now()): Promise<ImportedRun> {
  const { onnxPath, bytes, metadata } = await readImportSource(request)
  const classes = projectClasses(db, metadata.labels)
  await checkAnswers(bytes, metadata, onnxPath)
  const runId = insertImportedRun(
    db,
    {
      modelKind: IMPORTED_MODEL_KIND,
      settings: { imported: { from: onnxPath, metadataFrom: metadata.metadataFrom, modelKind: metadata.modelKind, writtenBy: metadata.writtenBy } },
      backend: IMPORTED_ENGINE,
      classes,
      model: { onnx: bytes, metadata, source: onnxPath }
    },
    now
  )
  return importedRunSummary(runId, metadata, onnxPath)
}

export function importedRunSummary(runId: number, metadata: ImportedModelMetadata, source: string): ImportedRun {
  const { height, width, channels } = metadata.input
  return {
    runId,
    labels: metadata.labels,
    input: { height, width, channels },
    preprocessing: { scale: metadata.preprocessing.scale, offset: metadata.preprocessing.offset },
    engine: IMPORTED_ENGINE,
    source,
    metadataFrom: metadata.metadataFrom,
    originalKind: metadata.modelKind
  }
}

/** Each label's live class of exactly that name; the project's classes are not created or renamed here. */
function projectClasses(db: Database, labels: readonly string[]): { id: number; name: string }[] {
  const missing: string[] = []
  const classes = labels.map((name) => {
    const found = findLiveClassByName(db, name)
    if (!found || found.name !== name) missing.push(name)
    return { id: found?.id ?? 0, name }
  })
  if (missing.length > 0) {
    throw new AppError(
      'INVALID_REQUEST',
      `the project has no class named ${missing.map((name) => `"${name}"`).join(', ')}; create ${missing.length === 1 ? 'it' : 'them'} (or rename the labels) before importing`
    )
  }
  return classes
}

/** One batch of two mid-grey images must load, run, and come back as [2, labels] probabilities. */
async function checkAnswers(bytes: Uint8Array, metadata: ImportedModelMetadata, onnxPath: string): Promise<void> {
  const { height, width, channels } = metadata.input
  let model: OnnxModel
  try {
    model = await OnnxModel.create(bytes, { threads: 1 })
  } catch (error) {
    if (error instanceof AppError) throw new AppError(error.code, `${onnxPath}: ${error.message}`)
    throw new AppError('INVALID_REQUEST', `ONNX Runtime cannot load ${onnxPath}: ${firstLine(error)}`)
  }
  try {
    const grey = 128 * metadata.preprocessing.scale + metadata.preprocessing.offset
    let answer
    try {
      answer = await model.runWithShape(new Float32Array(2 * height * width * channels).fill(grey), [2, height, width, channels])
    } catch (error) {
      throw new AppError('INVALID_REQUEST', `${onnxPath} does not run on a [2, ${height}, ${width}, ${channels}] float32 batch: ${firstLine(error)}`)
    }
    const k = metadata.labels.length
    if (answer.shape.length !== 2 || answer.shape[0] !== 2 || answer.shape[1] !== k) {
      throw new AppError('INVALID_REQUEST', `${onnxPath} answers [${answer.shape.join(', ')}] for a batch of 2; with ${k} labels it should answer [2, ${k}]`)
    }
    for (let row = 0; row < 2; row++) {
      const values = answer.values.subarray(row * k, (row + 1) * k)
      const sum = values.reduce((total, value) => total + value, 0)
      if (!values.every((value) => value >= 0 && value <= 1) || Math.abs(sum - 1) > 1e-3) {
        throw new AppError('INVALID_REQUEST', `${onnxPath}'s output is not probabilities (a row sums to ${sum.toFixed(4)}); export it with a softmax at the end`)
      }
    }
  } finally {
    await model.dispose()
  }
}

const firstLine = (error: unknown) => (error as Error).message.split('\n')[0]
