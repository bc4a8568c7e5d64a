// The Balance view's "Assign splits" as three steps on the project: look at the plan (nothing is
// written), apply it (with the ratios, as one transaction), and take the last one back.
//
// Undo is one step kept in the project's settings beside the ratios, not in the label history: that
// history is a stack of label changes (Ctrl+Z in Label), and interleaving split moves there would make
// Ctrl+Z on a label silently move images between splits. A split assignment is a rare, deliberate
// act with its own button; one snapshot of the rows it changed (ids grouped by before → after, so
// 100k images stay a few hundred kB) survives a restart and needs no schema change. Undo restores only
// rows still as the step left them, so a split the user set by hand afterwards is kept.
import type { Database } from 'better-sqlite3'
import { AppError } from '../core/errors'
import {
  loadSplitInputs,
  readSplitRatiosSetting,
  readSplitUndo,
  restoreSplitRatiosSetting,
  restoreSplits,
  type SplitState,
  type SplitUndoSnapshot,
  writePlannedSplits,
  writeSplitRatiosSetting,
  writeSplitUndo
} from '../db/queries/splits'
import { readTransaction, writeTransaction } from '../db/transaction'
import { planSplits, type SplitPlan } from './rebalance'
import { type SplitRatios, validateSplitRatios } from './split-ratios'

/** What applying `ratios` would do now; writes nothing. */
export function previewSplitPlan(db: Database, ratios: SplitRatios): SplitPlan {
  const checked = validateSplitRatios(ratios)
  return readTransaction(db, () => planSplits(loadSplitInputs(db), checked))
}

/**
 * Plans and writes in one IMMEDIATE transaction (an import cannot slip rows in between), stores the
 * ratios, and keeps what changed as the step undo takes back. A plan that changes nothing keeps the
 * previous undo step.
 */
export function applySplitPlan(db: Database, ratios: SplitRatios, now = Date.now()): SplitPlan {
  const checked = validateSplitRatios(ratios)
  return writeTransaction(db, () => {
    const images = loadSplitInputs(db)
    const plan = planSplits(images, checked)
    const before = new Map(images.map((image) => [image.id, [image.split, image.splitOrigin] as SplitState]))
    const previousRatios = readSplitRatiosSetting(db) ?? null
    if (!writeSplitRatiosSetting(db, checked)) throw new AppError('NOT_FOUND', 'the project record is missing')
    if (plan.changes.length === 0) return plan
    writePlannedSplits(db, plan.changes)
    const transitions = new Map<string, SplitUndoSnapshot['transitions'][number]>()
    for (const change of plan.changes) {
      const was = before.get(change.id)!
      const now: SplitState = [change.split, change.origin]
      const key = `${was.join('/')}>${now.join('/')}`
      const entry = transitions.get(key)
      if (entry) entry.ids.push(change.id)
      else transitions.set(key, { was, now, ids: [change.id] })
    }
    writeSplitUndo(db, { at: now, ratios: previousRatios, moved: plan.changes.length, transitions: [...transitions.values()] })
    return plan
  })
}

export interface SplitUndoResult {
  /** Rows put back as they were. */
  restored: number
  /** Rows the step had changed that were changed again since, and so were left alone. */
  kept: number
}

/** Takes the last applied plan back (rows and ratios). INVALID_REQUEST when there is nothing to undo. */
export function undoSplitPlan(db: Database): SplitUndoResult {
  return writeTransaction(db, () => {
    const snapshot = readSplitUndo(db)
    if (!snapshot) throw new AppError('INVALID_REQUEST', 'there is no split assignment to undo')
    const restored = restoreSplits(db, snapshot.transitions)
    restoreSplitRatiosSetting(db, snapshot.ratios)
    writeSplitUndo(db, null)
    return { restored, kept: snapshot.moved - restored }
  })
}
