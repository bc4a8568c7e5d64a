import { z } from 'zod'
import type { ClassMetrics, EpochMetrics, RunStatus } from './types'

// Comparing runs side by side in the Train view (issue 17): what TensorBoard users go there for —
// which settings differ, the curves overlaid, and per class how each run fares against the first.

function returns<T>(): T {
  return undefined as T
}

/** Two to eight runs: more would not fit side by side. */
export const MAX_COMPARED_RUNS = 8

const runIds = z
  .array(z.number().int().positive())
  .min(2, 'compare at least two runs')
  .max(MAX_COMPARED_RUNS, `compare at most ${MAX_COMPARED_RUNS} runs`)
  .refine((ids) => new Set(ids).size === ids.length, 'name each run once')

export const runCompareMethods = {
  /** The runs in the order asked (the first is the baseline), with the settings that differ between them. */
  'runs.compare': { request: z.object({ runIds }).strict(), response: returns<RunComparison>() }
} as const

/** A run's stored evaluation on the compared split, reduced to what the comparison shows. */
export interface ComparedEvaluation {
  accuracy: number | null
  /** Images scored on the split. */
  count: number
  /** Labels changed after the run was trained. */
  stale: boolean
  computedAt: number
  /** The run's output classes, in output order: rows are matched across runs by classId. */
  perClass: ClassMetrics[]
}

export interface ComparedRun {
  id: number
  modelKind: string
  status: RunStatus
  settings: Record<string, unknown>
  epochs: EpochMetrics[]
  summary: { valAccuracy: number | null; testAccuracy: number | null }
  /** Only a run with a model can be evaluated. */
  hasModel: boolean
  /** Null until the run is evaluated ('review.evaluate'). */
  evaluation: ComparedEvaluation | null
}

export interface RunComparison {
  /** Where the per-class figures come from: 'test', or 'val' when the project has no labeled test images. */
  split: 'test' | 'val'
  runs: ComparedRun[]
  /** Every setting key of any run: the known settings in their usual order, then the rest by name. */
  settingKeys: string[]
  /** The keys whose values differ between the runs (a key one run lacks differs), in settingKeys order. */
  differingSettings: string[]
}
