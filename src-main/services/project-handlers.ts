import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import type { ServiceContext } from './context'
import type { DialogProvider } from './dialogs'

type ProjectMethods =
  | 'app.info'
  | 'project.create'
  | 'project.open'
  | 'project.close'
  | 'project.current'
  | 'project.recent'
  | 'project.forgetRecent'
  | 'dialog.pickProjectToOpen'
  | 'dialog.pickProjectToCreate'
  | 'dialog.pickFolder'

export function projectHandlers(context: ServiceContext): Pick<Handlers, ProjectMethods> {
  const { info, events, session, recent, jobs } = context

  const dialogs = (): DialogProvider => {
    if (!context.dialogs) throw new AppError('UNSUPPORTED', 'native dialogs are only available in the desktop app')
    return context.dialogs
  }
  /** Jobs write to the open project: switching projects stops them first. */
  const leaveCurrent = () => jobs.cancelAll()

  return {
    'app.info': async () => {
      await context.infoReady
      return info
    },
    'project.create': async ({ path, name }) => {
      leaveCurrent()
      const summary = session.create(path, name)
      await recent.remember(summary)
      events.emit('project.changed', summary)
      return summary
    },
    'project.open': async ({ path }) => {
      if (session.summary?.path !== path) leaveCurrent()
      const summary = session.open(path)
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
    'dialog.pickProjectToOpen': () => dialogs().pickProjectToOpen(),
    'dialog.pickProjectToCreate': () => dialogs().pickProjectToCreate(),
    'dialog.pickFolder': () => dialogs().pickFolder()
  }
}
