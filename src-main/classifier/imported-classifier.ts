// The classifier of an imported run (`runs import`): its ONNX graph in an ONNX Runtime session, fed
// exactly as its metadata says (decoded the one way Pictor decodes, then byte · scale + offset).
// It has no TF.js model, so it predicts (evaluation, suggestions, predict) but cannot be
// differentiated (robustness) or saved as TF.js.
import { availableParallelism } from 'node:os'
import type { Database } from 'better-sqlite3'
import type { RunSummary } from '../contract/types'
import { AppError } from '../core/errors'
import { loadRunOnnxModel } from '../db/queries/run-onnx-models'
import { decodeExample } from './decode'
import { OnnxModel } from './onnx-runtime'
import type { ImportedModelMetadata } from './onnx-import-source'
import { IMPORTED_ENGINE } from './onnx-run-import'
import { applyByteTable, byteTable } from './pixel-scale'
import type { RunClassifier } from './run-classifier'

export async function loadImportedClassifier(db: Database, run: RunSummary, classIds: number[]): Promise<RunClassifier> {
  const stored = loadRunOnnxModel<ImportedModelMetadata>(db, run.id)
  if (!stored) throw new AppError('INVALID_REQUEST', `run ${run.id} has no imported model`)
  const { labels, input, preprocessing } = stored.metadata
  let model: OnnxModel
  try {
    model = await OnnxModel.create(stored.onnx, { threads: availableParallelism() })
  } catch (error) {
    if (error instanceof AppError) throw new AppError(error.code, `run ${run.id} is an imported ONNX model: ${error.message}`)
    throw error
  }
  const shape = { height: input.height, width: input.width, channels: input.channels }
  const table = byteTable((byte) => byte * preprocessing.scale + preprocessing.offset)
  const low = preprocessing.offset
  const high = 255 * preprocessing.scale + preprocessing.offset
  return {
    runId: run.id,
    kind: 'onnx',
    classIds,
    classNames: labels,
    inputShape: [input.height, input.width, input.channels],
    model: null,
    head: null,
    baseModelVersion: null,
    featureSpec: null,
    featureCacheKey: null,
    inputScale: Math.abs(high - low),
    inputRange: [Math.min(low, high), Math.max(low, high)],
    preprocessing: preprocessing.description,
    preprocess: async (path) => applyByteTable(await decodeExample(path, shape), table),
    backend: null,
    engine: IMPORTED_ENGINE,
    async predictBatch(values, count) {
      const output = await model.run(values, [count, input.height, input.width, input.channels])
      const classes = labels.length
      if (output.length !== count * classes) throw new Error(`the model answered ${output.length} values for ${count} images × ${classes} classes`)
      return Array.from({ length: count }, (_, row) => output.slice(row * classes, (row + 1) * classes))
    },
    dispose: () => void model.dispose()
  }
}
