// Where a run's own report is, for the handlers that write and describe it and for the route that
// serves it to the page: one rule, so the page never opens a different file than the job wrote.
import { stat } from 'node:fs/promises'
import type { ReportFile } from '../contract/report'
import type { RunSummary } from '../contract/types'
import { runLogDir, runReportPath } from '../core/run-folders'

/** `<run log folder>/report.html`; a run without a recorded folder (older or imported) uses the project's default one. */
export function runReportFile(projectPath: string, run: Pick<RunSummary, 'id' | 'logDir'>): string {
  return runReportPath(run.logDir ?? runLogDir(projectPath, run.id))
}

/** The report file as it is on disk now (a folder or anything else in its place counts as no report). */
export async function describeReportFile(path: string): Promise<ReportFile> {
  const info = await stat(path).catch(() => null)
  if (!info?.isFile()) return { path, exists: false, bytes: 0, writtenAt: null }
  return { path, exists: true, bytes: info.size, writtenAt: Math.round(info.mtimeMs) }
}
