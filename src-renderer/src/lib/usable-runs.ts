import type { RunSummary } from '@contract/types'

/** Runs that have a model to use (finished, model stored), newest first: what every run picker offers. */
export function runsWithModel(runs: readonly RunSummary[]): RunSummary[] {
  return runs.filter((run) => run.status === 'done' && run.hasModel).sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)
}

/** The chosen run while it is still offered, else the newest one (null when there is none). */
export function keptOrNewest(runId: number | null, runs: readonly RunSummary[]): number | null {
  return runId !== null && runs.some((run) => run.id === runId) ? runId : (runs[0]?.id ?? null)
}
