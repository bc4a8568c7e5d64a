import { runWithModel } from '../classifier/run-choice'
import type { Handlers } from '../core/dispatcher'
import { AppError } from '../core/errors'
import type { ServiceContext } from './context'
import { ServeHost } from './serve-host'

type Methods = 'serve.start' | 'serve.stop' | 'serve.status'

/**
 * The Monitor view's server: one at a time, for a run of the open project, on 127.0.0.1, in a worker
 * thread (services/serve-host.ts). Its figures go out as 'serve.stats' events about once a second, so
 * the view never polls. Closing or switching the project stops it (the run it serves belongs to that
 * project); the services' close() stops it when the app quits.
 */
export function serveHandlers({ session, events, modelsDir, cacheDir }: ServiceContext): { handlers: Pick<Handlers, Methods>; close(): Promise<void> } {
  const host = new ServeHost((snapshot, stoppedBecause) => events.emit('serve.stats', { snapshot, stoppedBecause }))
  let servedProject: string | null = null

  events.subscribe((event) => {
    if (event.name !== 'project.changed' || servedProject === null) return
    const summary = event.payload as { path: string } | null
    if (summary?.path === servedProject) return
    servedProject = null
    void host.stop('the project it served was closed')
  })

  const handlers: Pick<Handlers, Methods> = {
    'serve.start': async ({ runId, port, maxBatch, batchDelayMs }) => {
      const project = session.summary
      if (!project) throw new AppError('NO_PROJECT', 'open a project to serve one of its runs')
      if (host.runId !== null) throw new AppError('BUSY', `a server already runs for run #${host.runId}; stop it first`)
      const run = runWithModel(session.db, runId, 'to serve')
      servedProject = project.path
      const started = await host.start({ projectPath: project.path, runId: run.id, modelsDir, cacheDir, port, maxBatch, batchDelayMs })
      // The first figures at once, so every window shows the server before its first report.
      const snapshot = await host.snapshot()
      if (snapshot) events.emit('serve.stats', { snapshot, stoppedBecause: null })
      return started
    },
    'serve.stop': async () => ({ stopped: await host.stop() }),
    'serve.status': () => host.snapshot()
  }
  return { handlers, close: () => host.stop('Pictor is closing').then(() => undefined) }
}
