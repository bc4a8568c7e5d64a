import type { SplitPreview } from '../contract/splits'
import type { Handlers } from '../core/dispatcher'
import type { Database } from 'better-sqlite3'
import { listClassesWithCounts } from '../db/queries/classes'
import { writeTransaction } from '../db/transaction'
import { applySplits, setSplitRatios, setUserSplit } from '../splits/apply-splits'
import { applySplitPlan, previewSplitPlan, undoSplitPlan } from '../splits/plan-steps'
import type { SplitPlan } from '../splits/rebalance'
import { balanceReport } from './balance'
import type { ServiceContext } from './context'
import { requireImages } from './records'

type BalanceMethods =
  | 'balance.report'
  | 'splits.assign'
  | 'splits.setRatios'
  | 'splits.preview'
  | 'splits.apply'
  | 'splits.undo'
  | 'images.setSplit'

export function balanceHandlers({ session, events }: ServiceContext): Pick<Handlers, BalanceMethods> {
  const changed = () => events.emit('library.changed', { reason: 'splits' })
  return {
    'balance.report': () => balanceReport(session.db),
    'splits.assign': () => {
      applySplits(session.db)
      changed()
      return balanceReport(session.db)
    },
    'splits.setRatios': (ratios) => {
      // One transaction: the new ratios and the assignment they lead to commit together.
      writeTransaction(session.db, () => {
        setSplitRatios(session.db, ratios)
        applySplits(session.db)
      })
      changed()
      return balanceReport(session.db)
    },
    'splits.preview': (ratios) => withNames(session.db, previewSplitPlan(session.db, ratios)),
    'splits.apply': (ratios) => {
      const plan = applySplitPlan(session.db, ratios)
      if (plan.changes.length > 0) changed()
      return balanceReport(session.db)
    },
    'splits.undo': () => {
      const outcome = undoSplitPlan(session.db)
      changed()
      return { ...outcome, report: balanceReport(session.db) }
    },
    'images.setSplit': ({ imageIds, split }) => {
      // Re-assign so the image's duplicates follow it and cleared overrides get an automatic split,
      // in the same transaction so no one sees the override without its consequences.
      writeTransaction(session.db, () => {
        requireImages(session.db, imageIds)
        setUserSplit(session.db, imageIds, split)
        applySplits(session.db)
      })
      changed()
      return balanceReport(session.db)
    }
  }
}

/** The plan as the Balance view shows it: each class by name and colour, classes in their list order. */
function withNames(db: Database, plan: SplitPlan): SplitPreview {
  const classes = listClassesWithCounts(db)
  const byId = new Map(plan.classes.map((row) => [row.classId, row]))
  const named = classes.flatMap((item) => {
    const row = byId.get(item.id)
    return row ? [{ ...row, name: item.name, color: item.color }] : []
  })
  const unlabeled = byId.get(null)
  return {
    ratios: plan.ratios,
    classes: unlabeled ? [...named, { ...unlabeled, name: 'unlabeled', color: null }] : named,
    changes: plan.changes.length,
    toppedUp: plan.toppedUp,
    conflictingGroups: plan.conflictingGroups
  }
}
