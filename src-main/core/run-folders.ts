// Where a run's trail lives on disk (issue 17): one folder per run under a log root, Keras's layout
// (`<root>/<run>/train`, `<root>/<run>/validation`), so `tensorboard --logdir <root>` shows every run
// of a project side by side. The run's report sits in the same folder. Decided here only.
import { basename, dirname, extname, join } from 'node:path'

/** `/data/flowers.pictor` → `/data/flowers.runs`: beside the project file, named after it. */
export function defaultLogRoot(projectPath: string): string {
  const name = basename(projectPath, extname(projectPath)) || basename(projectPath)
  return join(dirname(projectPath), `${name}.runs`)
}

/** `run-12`: sorts with its siblings and says what it is in TensorBoard's run list. */
export function runFolderName(runId: number): string {
  return `run-${runId}`
}

/** A run's folder under a log root (the project's default root when none is given). */
export function runLogDir(projectPath: string, runId: number, logRoot?: string | null): string {
  return join(logRoot ?? defaultLogRoot(projectPath), runFolderName(runId))
}

/**
 * Where a run's report goes unless the user says otherwise: its own folder, beside its logs; a run
 * with no recorded folder (from before schema v13, or imported) uses the project's default one.
 */
export function runReportPath(projectPath: string, run: { id: number; logDir: string | null }): string {
  return join(run.logDir ?? runLogDir(projectPath, run.id), 'report.html')
}

/** The log root of a run's folder: what `tensorboard --logdir` is given. */
export function logRootOf(runLogFolder: string): string {
  return dirname(runLogFolder)
}
