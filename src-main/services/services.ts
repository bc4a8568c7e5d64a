import { homedir, platform } from 'node:os'
import { join } from 'node:path'
import pkg from '../../package.json'
import type { Envelope } from '../contract/envelope'
import type { MethodName, RequestOf, ResponseOf } from '../contract/methods'
import { PROJECT_WRITES } from '../contract/project-writes'
import type { AppInfo, AppShell } from '../contract/types'
import { createDispatcher, type Dispatch, type DispatcherOptions, type Handlers } from '../core/dispatcher'
import { AppError, READ_ONLY_MESSAGE } from '../core/errors'
import { EventBus } from '../core/event-bus'
import { ThumbnailStore } from '../import/thumbnail-store'
import { JobManager } from '../jobs/job-manager'
import { modelsDirectory } from '../models/base-model-store'
import { loadOnnxRuntime } from '../classifier/onnx-runtime'
import { inferenceReport } from '../classifier/inference-engine'
import { probeBackends } from '../tfjs/backends'
import type { ServiceContext } from './context'
import type { DialogProvider } from './dialogs'
import { balanceHandlers } from './balance-handlers'
import { importHandlers } from './import-handlers'
import { labelHandlers } from './label-handlers'
import { libraryHandlers } from './library-handlers'
import { modelHandlers } from './model-handlers'
import { projectHandlers } from './project-handlers'
import { trainHandlers } from './train-handlers'
import { reviewHandlers } from './review-handlers'
import { compareHandlers } from './compare-handlers'
import { runLogsHandlers } from './run-logs-handlers'
import { issueHandlers } from './issue-handlers'
import { suggestionHandlers } from './suggestion-handlers'
import { exportHandlers } from './export-handlers'
import { predictHandlers } from './predict-handlers'
import { datasetHandlers } from './dataset-handlers'
import { bundleHandlers } from './bundle-handlers'
import { runImportHandlers } from './run-import-handlers'
import { labelImportHandlers } from './label-import-handlers'
import { serveHandlers } from './serve-handlers'
import { reportHandlers } from './report-handlers'
import { ImageWorker } from './image-worker'
import { PredictStore, type PredictedFiles } from '../export/predict-store'
import { filesHandlers } from './files-handlers'
import { ProjectSession } from './project-session'
import { RecentProjects } from './recent-projects'

export interface ServiceOptions {
  dataDir: string
  transport: AppShell
  dialogs?: DialogProvider
  /** Where unexpected errors (bugs) are reported; the CLI prints their stack only with --debug. */
  logError?: DispatcherOptions['logError']
}

export interface Services {
  /** For transports: untrusted input in, envelope out. */
  dispatch: Dispatch
  /** For in-process callers (the CLI): the same path, typed. */
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<Envelope<ResponseOf<M>>>
  events: EventBus
  session: ProjectSession
  thumbnails: ThumbnailStore
  /** The rows of predictions started from the app, for the route that serves their thumbnails. */
  predictions: PredictedFiles
  info: AppInfo
  close(): void
}

/** The composition root: every transport (Electron IPC, browser mode, CLI) builds exactly this. */
export function createServices(options: ServiceOptions): Services {
  const events = new EventBus()
  const context: ServiceContext = {
    modelsDir: modelsDirectory(options.dataDir),
    cacheDir: join(options.dataDir, 'cache'),
    info: {
      version: pkg.version,
      transport: options.transport,
      platform: platform(),
      nativeDialogs: options.dialogs !== undefined,
      dataDir: options.dataDir,
      backend: probeBackends(),
      inference: inferenceReport(),
      defaultProjectFolder: process.env.PICTOR_PROJECTS_DIR || join(homedir(), 'Pictor')
    },
    events,
    session: new ProjectSession({ dataDir: options.dataDir }),
    recent: new RecentProjects(options.dataDir),
    jobs: new JobManager(events),
    thumbnails: new ThumbnailStore(join(options.dataDir, 'thumbnails')),
    dialogs: options.dialogs,
    // The optional native package loads asynchronously; 'app.info' waits for it so the report is exact.
    infoReady: loadOnnxRuntime().then(() => {
      context.info.inference = inferenceReport()
    })
  }
  const predictions = new PredictStore()
  // Try it's worker thread (started on the first try), ended with the services.
  const images = new ImageWorker()
  // The Monitor view's model server (a worker thread while it runs), stopped with the services.
  const serving = serveHandlers(context)
  const handlers: Handlers = {
    ...projectHandlers(context),
    ...libraryHandlers(context),
    ...importHandlers(context),
    ...labelHandlers(context),
    ...balanceHandlers(context),
    ...trainHandlers(context),
    ...compareHandlers(context),
    ...runLogsHandlers(context),
    ...modelHandlers(context),
    ...reviewHandlers(context),
    ...issueHandlers(context),
    ...suggestionHandlers(context),
    ...exportHandlers(context),
    ...predictHandlers(context, predictions, images),
    ...datasetHandlers(context),
    ...bundleHandlers(context),
    ...runImportHandlers(context),
    ...labelImportHandlers(context),
    ...serving.handlers,
    ...reportHandlers(context),
    ...filesHandlers(context, options.dataDir)
  }
  const { session } = context
  const dispatch = createDispatcher(handlers, {
    ...(options.logError ? { logError: options.logError } : {}),
    // A read-only project is refused every change up front, before a job starts and fails later.
    guard: (method) => {
      if (session.summary?.readOnly && PROJECT_WRITES.has(method)) throw new AppError('READ_ONLY', READ_ONLY_MESSAGE)
    }
  })
  return {
    dispatch,
    call: (method, request) => dispatch(method, request) as never,
    events,
    session: context.session,
    thumbnails: context.thumbnails,
    predictions,
    info: context.info,
    close: () => {
      context.jobs.cancelAll()
      void images.close()
      void serving.close()
      context.session.close()
    }
  }
}
