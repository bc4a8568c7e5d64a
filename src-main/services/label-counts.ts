import type { Database } from 'better-sqlite3'
import type { LabelCountChanges } from '../contract/types'
import { imageStatuses } from '../db/queries/images'
import { recentLabelCount } from '../db/queries/label-history'
import { confidencePercent, liveSuggestionConfidences } from '../db/queries/suggestions'

/** The labeling rate looks back this far. */
const RATE_WINDOW_MINUTES = 10

/** One image's label before and after a change (null: unlabeled). */
export interface LabelMove {
  imageId: number
  oldClassId: number | null
  newClassId: number | null
}

/** Images labeled by hand in the last 10 minutes, per minute, to one decimal (LibrarySummary.labelsPerMinute). */
export function labelsPerMinute(db: Database, now = Date.now()): number {
  return Math.round((recentLabelCount(db, RATE_WINDOW_MINUTES, now) / RATE_WINDOW_MINUTES) * 10) / 10
}

/**
 * How `moves` change the counts the Library and the suggest bar show, from the moved images alone
 * (never a recount: a key press at 100k images must stay cheap). Runs in the change's transaction,
 * after the labels are written, so the rate includes them. With `classesChanged` the suggestion
 * buckets are left out: a deleted or restored class hides or shows suggestions of images the moves
 * never touched, so the views re-read them.
 */
export function countLabelMoves(db: Database, moves: readonly LabelMove[], classesChanged = false): LabelCountChanges {
  const usable = imageStatuses(db, moves.map((move) => move.imageId))
  const counted = moves.filter((move) => usable.get(move.imageId) === 'ok')
  const perClass = new Map<number, number>()
  const bump = (classId: number | null, delta: number) => {
    if (classId !== null) perClass.set(classId, (perClass.get(classId) ?? 0) + delta)
  }
  for (const move of counted) {
    bump(move.oldClassId, -1)
    bump(move.newClassId, +1)
  }
  // Only images whose labeled-ness flips hide or show their suggestion.
  const flipped = counted.filter((move) => (move.oldClassId === null) !== (move.newClassId === null))
  const buckets = new Map<number, number>()
  if (!classesChanged) {
    const labeledNow = new Map(flipped.map((move) => [move.imageId, move.newClassId !== null]))
    for (const [imageId, confidence] of liveSuggestionConfidences(db, [...labeledNow.keys()])) {
      const percent = confidencePercent(confidence)
      buckets.set(percent, (buckets.get(percent) ?? 0) + (labeledNow.get(imageId) ? -1 : +1))
    }
  }
  return {
    perClass: [...perClass].filter(([, delta]) => delta !== 0).map(([classId, delta]) => ({ classId, delta })),
    labeled: flipped.reduce((sum, move) => sum + (move.newClassId === null ? -1 : +1), 0),
    suggestions: [...buckets].filter(([, delta]) => delta !== 0).map(([percent, delta]) => ({ percent, delta })),
    labelsPerMinute: labelsPerMinute(db)
  }
}
