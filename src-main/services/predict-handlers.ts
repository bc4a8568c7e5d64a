import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { PredictSource } from '../contract/predict'
import { TRY_IMAGE_MAX_BYTES, tooLargeMessage } from '../contract/try-image'
import type { Handlers } from '../core/dispatcher'
import { writeFileAtomic } from '../core/atomic-write'
import { AppError, fromSystemError } from '../core/errors'
import { runWithModel } from '../classifier/run-choice'
import { runInWorker } from '../jobs/worker-job'
import type { PredictSummary } from '../export/predict-folder'
import type { PredictJobInput, PredictJobSource } from '../export/predict-job'
import { PredictResults, type PredictMessage } from '../export/predict-results'
import type { PredictStore } from '../export/predict-store'
import predictWorkerPath from '../workers/predict-worker?modulePath'
import type { ServiceContext } from './context'
import { ImageWorker } from './image-worker'

type Methods = 'predict.start' | 'predict.results' | 'predict.saveCsv' | 'predict.image'

/**
 * Predicting a folder from the app: a 'predict' job in a worker thread (progress and cancel as every
 * job's) whose rows are kept here, in `store`, and read by the Predict view a page at a time; the
 * thumbnail route finds a row's file through the same store, never from a path the page sends.
 * Try it (one image, `predict.image`) runs in `images`, a worker thread that keeps the models it loaded.
 */
export function predictHandlers({ session, jobs, modelsDir }: ServiceContext, store: PredictStore, images = new ImageWorker()): Pick<Handlers, Methods> {
  /** What predicts: an exported model, else a run of the open project (the latest with a model when none is named). */
  async function modelSource(runId: number | undefined, modelPath: string | undefined): Promise<{ source: PredictJobSource; shown: PredictSource; key: string }> {
    if (modelPath !== undefined) {
      await requireKind(modelPath, 'any', modelPath)
      return { source: { kind: 'model', path: modelPath }, shown: { kind: 'model', path: modelPath }, key: `model:${modelPath}:${await modelVersion(modelPath)}` }
    }
    const project = session.summary
    if (!project) throw new AppError('NO_PROJECT', 'open a project to predict with one of its runs, or choose an exported model')
    const run = runWithModel(session.db, runId, 'to predict with')
    return {
      source: { kind: 'run', projectPath: project.path, runId: run.id, modelsDir },
      shown: { kind: 'run', runId: run.id },
      // A run's model never changes once trained; its creation time tells it from a run of the same id in a project made anew.
      key: `run:${project.path}:${run.id}:${run.createdAt}`
    }
  }

  return {
    'predict.start': async ({ folder, runId, modelPath, top }) => {
      if (jobs.isRunning('predict')) throw new AppError('BUSY', 'a folder is already being predicted; cancel it or wait for it to finish')
      await requireKind(folder, 'folder', `the folder ${folder}`)
      const { source, shown } = await modelSource(runId, modelPath)
      const input: PredictJobInput = { folder, source, top }

      // Set right after the job starts; the worker's first message comes after this turn.
      const kept: { results?: PredictResults } = {}
      let loaded!: () => void
      const ready = new Promise<void>((resolve) => (loaded = resolve))
      const receive = (message: PredictMessage) => {
        kept.results?.receive(message)
        if (message.type === 'ready') loaded()
      }
      const { jobId, done } = jobs.start('predict', (context) => runInWorker<PredictJobInput, PredictSummary, PredictMessage>(predictWorkerPath, input, context, receive))
      const created = new PredictResults(jobId, folder, shown)
      kept.results = created
      store.add(created)
      const ended = done.then(
        (summary) => created.finish(summary.cancelled ? 'cancelled' : 'done', { imagesPerSecond: summary.imagesPerSecond }),
        (error: unknown) => {
          const cancelled = error instanceof AppError && error.code === 'CANCELLED'
          created.finish(cancelled ? 'cancelled' : 'failed', { error: error instanceof Error ? error.message : String(error) })
          throw error
        }
      )
      // Answer once the model has loaded, so one that cannot load fails this call with its own code.
      const first = await Promise.race([ready.then(() => 'ready' as const), ended.then(() => 'ended' as const)]).catch((error: unknown) => {
        store.remove(jobId)
        throw error
      })
      if (first === 'ready') ended.catch(() => {}) // its failure is the job's, shown by job events
      return { jobId }
    },

    'predict.image': async ({ runId, modelPath, path, bytes, name }) => {
      const { source, shown, key } = await modelSource(runId, modelPath)
      const image = path !== undefined ? { path } : { bytes: fromBase64(bytes!, name ?? 'the dropped image'), name: name ?? 'the dropped image' }
      return { source: shown, ...(await images.try({ key, source, image })) }
    },

    'predict.results': ({ jobId, offset, limit, filter, sort, descending }) => {
      const results = jobId === undefined ? store.latest() : store.get(jobId)
      return results ? results.page({ offset, limit, filter, sort, descending }) : null
    },

    'predict.saveCsv': async ({ jobId, path, filter, overwrite }) => {
      const results = store.get(jobId)
      if (results.state === 'running') throw new AppError('BUSY', 'the prediction is still running; wait for it to finish or cancel it, then save')
      await requireKind(dirname(path), 'folder', `the folder ${dirname(path)}`)
      const existing = await stat(path).catch(() => null)
      if (existing?.isDirectory()) throw new AppError('INVALID_REQUEST', `${path} is a folder; give a file name such as ${path}/predictions.csv`)
      if (existing && !overwrite) throw new AppError('ALREADY_EXISTS', `${path} already exists; choose another name or replace it`)
      const text = [...results.csv(filter)].join('')
      await writeFileAtomic(path, text).catch((error: unknown) => {
        throw fromSystemError(error, path) ?? error
      })
      return { path, rows: results.count(filter) }
    }
  }
}

/** The bytes of a dropped image; INVALID_REQUEST for text that is not base64 or an image over the limit. */
function fromBase64(text: string, name: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new AppError('INVALID_REQUEST', `${name} was not sent as base64`)
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length > TRY_IMAGE_MAX_BYTES) throw new AppError('INVALID_REQUEST', tooLargeMessage(name))
  return bytes
}

/**
 * What tells an exported model apart from the one at the same path before (exported again into
 * the same folder): the modification times of the path and of the model files an export holds.
 */
async function modelVersion(path: string): Promise<string> {
  const candidates = [path, ...['model.onnx', 'model.json', 'metadata.json', 'onnx/model.onnx', 'tfjs/model.json'].map((file) => join(path, file))]
  const times = await Promise.all(candidates.map((file) => stat(file).then((info) => info.mtimeMs, () => 0)))
  return times.join(',')
}

/** NOT_FOUND when `path` does not exist; INVALID_REQUEST when it is not a folder and one is needed. */
async function requireKind(path: string, kind: 'folder' | 'any', what: string): Promise<void> {
  const info = await stat(path).catch((error: unknown) => {
    throw fromSystemError(error, what) ?? error
  })
  if (kind === 'folder' && !info.isDirectory()) throw new AppError('INVALID_REQUEST', `${what} is a file, not a folder`)
}
