import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Handlers } from '../core/dispatcher'
import type { ServiceContext } from './context'

type ProjectMethods =
  | 'app.info'
  | 'project.create'
  | 'project.open'
  | 'project.close'
  | 'project.current'
  | 'project.recent'
  | 'project.forgetRecent'
  | 'backups.list'
  | 'backups.restore'

export function projectHandlers(context: ServiceContext): Pick<Handlers, ProjectMethods> {
  const { info, events, session, recent, jobs } = context

  /** Jobs write to the open project: switching projects stops them first. */
  const leaveCurrent = () => jobs.cancelAll()

  return {
    'app.info': async () => {
      await context.infoReady
      return info
    },
    'project.create': async ({ path, name }) => {
      // The default folder (~/Pictor) is made when the first project goes there; any other folder
      // must exist, so a typo is not silently made into a new folder.
      if (resolve(dirname(path)) === resolve(info.defaultProjectFolder)) {
        mkdirSync(info.defaultProjectFolder, { recursive: true })
      }
      leaveCurrent()
      const summary = session.create(path, name)
      await recent.remember(summary)
      events.emit('project.changed', summary)
      return summary
    },
    'project.open': async ({ path }) => {
      if (session.summary?.path !== path) leaveCurrent()
      const summary = session.open(path)
      await session.backupsSettled()
      await recent.remember(summary)
      events.emit('project.changed', summary)
      return summary
    },
    'project.close': () => {
      leaveCurrent()
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
    'backups.list': ({ path }) => session.backups(path),
    'backups.restore': async ({ path, id }) => {
      const closing = session.summary?.path === resolve(path)
      if (closing) leaveCurrent()
      try {
        return await session.restore(path, id)
      } finally {
        if (closing && !session.summary) events.emit('project.changed', null)
      }
    }
  }
}
