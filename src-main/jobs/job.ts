import type { TrainingProgress } from '../contract/types'

/** What a job reports while it runs; the job manager adds rates, ETA and identity. */
export interface ProgressUpdate {
  done: number
  total: number | null
  message: string
  detail?: TrainingProgress | null
  /** Never dropped by rate limiting (an epoch's end, a notice). */
  important?: boolean
}

export interface JobContext {
  signal: AbortSignal
  onProgress(update: ProgressUpdate): void
}

/** Every long-running piece of work has this shape: cancellable, reporting progress. */
export type Job<Input, Result> = (input: Input, context: JobContext) => Promise<Result>
