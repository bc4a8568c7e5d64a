import { REPORT_ROUTE_PREFIX } from '../contract/report'
import { getRun } from '../db/queries/training-runs'
import type { ProjectSession } from '../services/project-session'
import { runReportPath } from '../core/run-folders'

// A run's report as the page opens and prints it: `/reports/<run id>` answers the open project's run's
// own report file, found through the project database, never from a path in the URL. The report is
// a page of the user's data, not of the app: it gets a policy of its own that runs no script at all
// and loads nothing but its inline styles and data: images, and only the app itself may frame it
// (the Print button prints it from a hidden frame).

export const REPORT_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  'img-src data:',
  "style-src 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'"
].join('; ')

/** `/reports/<run id>` → the run id, or null for anything else under the prefix. */
export function reportRunIdFor(pathname: string): number | null {
  const match = new RegExp(`^${REPORT_ROUTE_PREFIX}([1-9]\\d{0,15})$`).exec(pathname)
  return match ? Number(match[1]) : null
}

/** The report file of a run of the open project, or null (no project, no such run, a malformed path). */
export function reportFileFor(pathname: string, session: ProjectSession): string | null {
  const runId = reportRunIdFor(pathname)
  const project = session.summary
  if (runId === null || !project) return null
  const run = getRun(session.db, runId)
  return run ? runReportPath(project.path, run) : null
}
