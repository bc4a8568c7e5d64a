import type { Database } from 'better-sqlite3'
import { AppError } from '../core/errors'
import {
  clearUserSplit,
  loadSplitInputs,
  readSplitRatiosSetting,
  writeAutoSplits,
  writeSplitRatiosSetting,
  writeUserSplit
} from '../db/queries/splits'
import { writeTransaction } from '../db/transaction'
import { type ClassSplitCounts, assignSplits } from './assign-splits'
import { DEFAULT_SPLIT_RATIOS, type ImageSplit, SPLITS, type SplitRatios, validateSplitRatios } from './split-ratios'

export interface SplitApplyResult {
  ratios: SplitRatios
  /** Rows whose split (or origin) was written. */
  changed: number
  counts: ClassSplitCounts[]
  groups: number
  conflictingGroups: number
}

/**
 * The project's ratios, or the defaults (0.8/0.1/0.1) when none are stored. A stored value that no
 * longer validates (a hand-edited file) also falls back to the defaults rather than blocking work.
 */
export function getSplitRatios(db: Database): SplitRatios {
  const stored = readSplitRatiosSetting(db)
  if (stored === undefined) return { ...DEFAULT_SPLIT_RATIOS }
  try {
    return validateSplitRatios(stored)
  } catch {
    return { ...DEFAULT_SPLIT_RATIOS }
  }
}

/** Validates (INVALID_REQUEST) and stores the ratios; does not re-assign — call applySplits for that. */
export function setSplitRatios(db: Database, ratios: SplitRatios): SplitRatios {
  const checked = validateSplitRatios(ratios)
  if (!writeTransaction(db, () => writeSplitRatiosSetting(db, checked))) throw new AppError('NOT_FOUND', 'the project record is missing')
  return checked
}

/**
 * Assigns splits to every usable ('ok') image and writes the changes with origin 'auto', in one
 * IMMEDIATE transaction: the write lock is taken before reading, so a concurrent import cannot
 * slip rows in between what was read and what is written. Folder and user splits are never touched.
 */
export function applySplits(db: Database, ratios: SplitRatios = getSplitRatios(db)): SplitApplyResult {
  const checked = validateSplitRatios(ratios)
  return writeTransaction(db, () => {
    const assignment = assignSplits(loadSplitInputs(db), checked)
    const changed = writeAutoSplits(db, assignment.changes)
    return {
      ratios: checked,
      changed,
      counts: assignment.counts,
      groups: assignment.groups,
      conflictingGroups: assignment.conflictingGroups
    }
  })
}

function checkImageIds(imageIds: readonly number[]): void {
  if (!Array.isArray(imageIds) || !imageIds.every((id) => Number.isSafeInteger(id) && id > 0)) {
    throw new AppError('INVALID_REQUEST', 'image ids must be positive integers')
  }
}

/**
 * The user's override for some images. A split sticks (origin 'user'): re-assignment and rescans
 * keep it, and on the next applySplits it pulls the image's duplicates along. null drops the
 * override (only where the user set one) so the next applySplits decides again. Answers how many
 * rows changed. Does not re-assign by itself, so a bulk edit followed by one apply stays cheap.
 */
export function setUserSplit(db: Database, imageIds: readonly number[], split: ImageSplit | null): number {
  checkImageIds(imageIds)
  if (split !== null && !SPLITS.includes(split)) {
    throw new AppError('INVALID_REQUEST', `split must be train, val, test or null, got ${String(split)}`)
  }
  return writeTransaction(db, () => (split === null ? clearUserSplit(db, imageIds) : writeUserSplit(db, imageIds, split)))
}
