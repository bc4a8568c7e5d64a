import { join } from 'node:path'
import { notFound } from '../core/not-found'
import type { PredictResults } from './predict-results'

/** Predictions kept for the app: the newest few, so memory stays bounded however often one predicts. */
export const KEEP_PREDICTIONS = 3

/** What the thumbnail route needs to find a predicted file: nothing but the job's own rows. */
export interface PredictedFiles {
  /** The folder that was predicted and row `index`'s file in it, or null when there is no such row. */
  fileFor(jobId: string, index: number): { folder: string; path: string } | null
}

/** The predictions started from the app (services), by job id; the thumbnail route reads it too. */
export class PredictStore implements PredictedFiles {
  readonly #results = new Map<string, PredictResults>()

  add(results: PredictResults): void {
    this.#results.set(results.jobId, results)
    // The oldest finished ones go; a running one is never dropped under its job.
    for (const old of [...this.#results.values()]) {
      if (this.#results.size <= KEEP_PREDICTIONS) break
      if (old.state !== 'running' && old !== results) this.#results.delete(old.jobId)
    }
  }

  /** The prediction `jobId`, or NOT_FOUND "job <id> does not exist". */
  get(jobId: string): PredictResults {
    const results = this.#results.get(jobId)
    if (!results) throw notFound('job', jobId)
    return results
  }

  /** Forgets a prediction that never got going (its model did not load). */
  remove(jobId: string): void {
    this.#results.delete(jobId)
  }

  latest(): PredictResults | null {
    return [...this.#results.values()].at(-1) ?? null
  }

  isRunning(): boolean {
    return [...this.#results.values()].some((results) => results.state === 'running')
  }

  fileFor(jobId: string, index: number): { folder: string; path: string } | null {
    const results = this.#results.get(jobId)
    const relative = results?.pathOf(index)
    if (!results || relative == null) return null
    return { folder: results.folder, path: join(results.folder, ...relative.split('/')) }
  }
}
