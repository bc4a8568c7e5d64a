// The app's "predict a folder" job (runs in a worker thread, workers/predict-worker.ts): load the run's
// or the exported model's predictor, then predict the folder exactly as `pictor predict` does
// (predictFolder), sending the rows to the main side as each batch finishes.
import { withJobDatabase } from '../db/connection'
import type { JobContext } from '../jobs/job'
import { exportedModelPredictor, runPredictor, type Predictor } from '../classifier/predictors'
import { predictFolder, type PredictSummary } from './predict-folder'
import type { PredictMessage } from './predict-results'

export type PredictJobSource =
  | { kind: 'run'; projectPath: string; runId: number; modelsDir: string }
  | { kind: 'model'; path: string }

export interface PredictJobInput {
  folder: string
  source: PredictJobSource
  /** Classes per row, best first (at most the model's classes). */
  top: number
}

export async function predictJob(input: PredictJobInput, context: JobContext, send: (message: PredictMessage) => void): Promise<PredictSummary> {
  const { source } = input
  if (source.kind === 'model') return predictWith(await exportedModelPredictor(source.path), input, context, send)
  // The project stays open while predicting: a MobileNetV2 run reads its base model's details from it.
  return withJobDatabase(source.projectPath, async (db) =>
    predictWith(await runPredictor(db, source.runId, { modelsDir: source.modelsDir }), input, context, send)
  )
}

async function predictWith(predictor: Predictor, input: PredictJobInput, { signal, onProgress }: JobContext, send: (message: PredictMessage) => void): Promise<PredictSummary> {
  try {
    const top = Math.min(input.top, predictor.labels.length)
    send({ type: 'ready', labels: predictor.labels, engine: predictor.engine, top })
    onProgress({ done: 0, total: null, message: 'Looking for images…', important: true })
    let total: number | null = null
    let done = 0
    return await predictFolder(input.folder, predictor, {
      top,
      signal,
      onFiles: (count) => {
        total = count
        send({ type: 'files', count })
        onProgress({ done: 0, total, message: `Predicting ${count} images with ${predictor.engine}`, important: true })
      },
      onRows: (rows) => {
        // Sent before the progress that counts them: the main side has every row a progress event counts.
        send({ type: 'rows', rows })
        done += rows.length
        onProgress({ done, total, message: `Predicted ${done} of ${total ?? '?'} images` })
      }
    })
  } finally {
    predictor.dispose()
  }
}
