// What the app says about a run's own report file (where it is: core/run-folders.ts runReportPath,
// the one rule the job, the handlers and the route all use).
import { stat } from 'node:fs/promises'
import type { ReportFile } from '../contract/report'

/** The report file as it is on disk now (a folder or anything else in its place counts as no report). */
export async function describeReportFile(path: string): Promise<ReportFile> {
  const info = await stat(path).catch(() => null)
  if (!info?.isFile()) return { path, exists: false, bytes: 0, writtenAt: null }
  return { path, exists: true, bytes: info.size, writtenAt: Math.round(info.mtimeMs) }
}
