import { z } from 'zod'
import { absolutePath } from './paths'

// TensorBoard logs for runs that already exist (issue 17, `pictor runs logs`): every run writes its
// own while it trains; this writes them again from what the project stored, into any folder.

function returns<T>(): T {
  return undefined as T
}

/** What was written for one run. */
export interface WrittenRunLogs {
  runId: number
  /** `<out>/run-N`, holding train/ and validation/. */
  dir: string
  epochs: number
  /** The validation confusion matrix and worst mistakes were written (the run had a stored evaluation). */
  images: boolean
}

export const runLogsMethods = {
  /** Writes the logs of `runIds` (every run with recorded epochs when empty) under `out` (created if missing). */
  'runs.writeLogs': {
    request: z
      .object({
        runIds: z.array(z.number().int().positive()).max(10_000).default([]),
        out: absolutePath('a folder for the logs')
      })
      .strict(),
    response: returns<WrittenRunLogs[]>()
  }
} as const
