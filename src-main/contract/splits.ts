import { z } from 'zod'
import type { BalanceReport, SplitRatios } from './types'

// "Assign splits" in the Balance view (issue 14): look at what would move before anything does, apply
// it, and take the last one back. The seeded assignment of images no folder or user decided, plus
// each class's validation set topped up to its ratio from that class's training images (never from
// test, never a user's own choice, duplicate groups whole). splits/rebalance.ts has the rules.

function returns<T>(): T {
  return undefined as T
}

const ratios = z
  .object({ train: z.number().min(0).max(1), val: z.number().min(0).max(1), test: z.number().min(0).max(1) })
  .strict()
  .refine((r) => Math.abs(r.train + r.val + r.test - 1) < 1e-6, 'the ratios must add up to 1')

export const splitMethods = {
  /** What `splits.apply` with these ratios would do now, per class; nothing is written. */
  'splits.preview': { request: ratios, response: returns<SplitPreview>() },
  /** Stores the ratios and applies the plan (one undo step, replacing the previous one). */
  'splits.apply': { request: ratios, response: returns<BalanceReport>() },
  /** Takes the last applied plan back: rows still as it left them, and the ratios before it. */
  'splits.undo': { request: z.object({}).strict(), response: returns<SplitUndoOutcome>() }
} as const

export interface SplitCounts {
  train: number
  val: number
  test: number
}

export interface SplitPreviewRow {
  /** null: the unlabeled images (they get splits too, but train on nothing). */
  classId: number | null
  name: string
  color: string | null
  before: SplitCounts & { none: number }
  after: SplitCounts
  /** Images whose split changes, by where they go. */
  moving: SplitCounts
}

export interface SplitPreview {
  ratios: SplitRatios
  classes: SplitPreviewRow[]
  /** Images whose split (or who decided it) changes. */
  changes: number
  /** Of those, images moved from train to val to reach the validation ratio. */
  toppedUp: number
  /** Duplicate groups whose folder or user splits disagree: leakage only the user can fix. */
  conflictingGroups: number
}

export interface SplitUndoOutcome {
  /** Images put back as they were. */
  restored: number
  /** Images changed again since the step (by hand, or by a rescan), left as they are now. */
  kept: number
  report: BalanceReport
}
