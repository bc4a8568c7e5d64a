import type { AppInfo } from '../contract/types'
import type { EventBus } from '../core/event-bus'
import type { ThumbnailStore } from '../import/thumbnail-store'
import type { JobManager } from '../jobs/job-manager'
import type { DialogProvider } from './dialogs'
import type { ProjectSession } from './project-session'
import type { RecentProjects } from './recent-projects'

/** What handler groups share; built once by createServices. */
export interface ServiceContext {
  info: AppInfo
  /** Base models (MobileNetV2): $PICTOR_MODELS_DIR when set, else <data folder>/models. */
  modelsDir: string
  /** Files Pictor derives and can rebuild (the backbone's ONNX graph): <data folder>/cache. */
  cacheDir: string
  events: EventBus
  session: ProjectSession
  recent: RecentProjects
  jobs: JobManager
  thumbnails: ThumbnailStore
  dialogs: DialogProvider | undefined
  /** Settles when `info` is complete (the optional inference engine has been probed). */
  infoReady: Promise<void>
}
