import type { Database } from 'better-sqlite3'
import type { LabelCountChanges } from '../contract/types'
import { imageStatuses } from '../db/queries/images'
import { recentLabelActions, type TimedLabelAction } from '../db/queries/label-history'
import { confidencePercent, liveSuggestionConfidences } from '../db/queries/suggestions'

/** The labeling rate looks back this far. */
const RATE_WINDOW_MINUTES = 10
/** A pause between two label actions counts as labeling up to this long; longer is a break, not work. */
export const MAX_ACTIVE_GAP_MS = 30_000
/** Less active time than this tells no pace yet (two key presses a few ms apart are not a rate). */
const MIN_ACTIVE_MS = 1_000

/** One image's label before and after a change (null: unlabeled). */
export interface LabelMove {
  imageId: number
  oldClassId: number | null
  newClassId: number | null
}

/**
 * Images labeled per minute of active labeling in the last 10 minutes, to one decimal
 * (LibrarySummary.labelsPerMinute). The one place the rate is computed.
 */
export function labelsPerMinute(db: Database, now = Date.now()): number {
  return labelingRate(recentLabelActions(db, now - RATE_WINDOW_MINUTES * 60_000))
}

/**
 * The pace of a run of label actions (oldest first): the images labeled after the first action over
 * the time between the first and the last, each pause counted up to MAX_ACTIVE_GAP_MS, so that a
 * coffee break does not dilute it (issue 14: 12 labels in 2 s read "1.2 per minute", the count
 * spread over a fixed 10 minutes). The first action starts the clock, so its images are not counted.
 */
export function labelingRate(actions: readonly TimedLabelAction[]): number {
  let activeMs = 0
  let labeled = 0
  for (let index = 1; index < actions.length; index++) {
    activeMs += Math.min(MAX_ACTIVE_GAP_MS, Math.max(0, actions[index]!.createdAt - actions[index - 1]!.createdAt))
    labeled += actions[index]!.labeled
  }
  if (activeMs < MIN_ACTIVE_MS) return 0
  return Math.round((labeled / (activeMs / 60_000)) * 10) / 10
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
