import { platform } from 'node:os'
import pkg from '../../package.json'
import type { Envelope } from '../contract/envelope'
import type { MethodName, RequestOf, ResponseOf } from '../contract/methods'
import type { AppInfo, Transport } from '../contract/types'
import { createDispatcher, type Dispatch, type Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import { EventBus } from '../core/event-bus'
import { countImages } from '../db/queries/images'
import { listClassesWithCounts } from '../db/queries/classes'
import { probeBackends } from './backend-probe'
import type { DialogProvider } from './dialogs'
import { ProjectSession } from './project-session'
import { RecentProjects } from './recent-projects'

export interface ServiceOptions {
  dataDir: string
  transport: Transport
  dialogs?: DialogProvider
}

export interface Services {
  /** For transports: untrusted input in, envelope out. */
  dispatch: Dispatch
  /** For in-process callers (the CLI): the same path, typed. */
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<Envelope<ResponseOf<M>>>
  events: EventBus
  session: ProjectSession
  info: AppInfo
  close(): void
}

/** The composition root: every transport (Electron IPC, browser mode, CLI) builds exactly this. */
export function createServices(options: ServiceOptions): Services {
  const events = new EventBus()
  const session = new ProjectSession()
  const recent = new RecentProjects(options.dataDir)
  const info: AppInfo = {
    version: pkg.version,
    transport: options.transport,
    platform: platform(),
    nativeDialogs: options.dialogs !== undefined,
    dataDir: options.dataDir,
    backend: probeBackends()
  }

  const dialogs = (): DialogProvider => {
    if (!options.dialogs) throw new AppError('UNSUPPORTED', 'native dialogs are only available in the desktop app')
    return options.dialogs
  }

  const handlers: Handlers = {
    'app.info': () => info,

    'project.create': async ({ path, name }) => {
      const summary = session.create(path, name)
      await recent.remember(summary)
      events.emit('project.changed', summary)
      return summary
    },
    'project.open': async ({ path }) => {
      const summary = session.open(path)
      await recent.remember(summary)
      events.emit('project.changed', summary)
      return summary
    },
    'project.close': () => {
      session.close()
      events.emit('project.changed', null)
      return null
    },
    'project.current': () => session.summary,
    'project.recent': () => recent.list(),
    'project.forgetRecent': async ({ path }) => {
      await recent.forget(path)
      return recent.list()
    },

    'dialog.pickProjectToOpen': () => dialogs().pickProjectToOpen(),
    'dialog.pickProjectToCreate': () => dialogs().pickProjectToCreate(),

    'library.summary': () => {
      const counts = countImages(session.db)
      return {
        ...counts,
        unlabeled: counts.total - counts.labeled,
        classes: listClassesWithCounts(session.db)
      }
    }
  }

  const dispatch = createDispatcher(handlers)
  return {
    dispatch,
    call: (method, request) => dispatch(method, request) as never,
    events,
    session,
    info,
    close: () => session.close()
  }
}
