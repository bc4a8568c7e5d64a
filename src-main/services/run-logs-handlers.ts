import type { Handlers } from '../core/dispatcher'
import { AppError, fromSystemError } from '../core/errors'
import { writeStoredRunLogs } from '../report/run-logs-export'
import type { ServiceContext } from './context'

/** runs.writeLogs: TensorBoard event files for existing runs, from what the project stored (`pictor runs logs`). */
export function runLogsHandlers({ session }: ServiceContext): Pick<Handlers, 'runs.writeLogs'> {
  return {
    'runs.writeLogs': async ({ runIds, out }) => {
      try {
        return await writeStoredRunLogs(session.db, runIds, out)
      } catch (error) {
        if (error instanceof AppError) throw error
        throw fromSystemError(error, `the log folder ${out}`) ?? error
      }
    }
  }
}
