import type { Database } from 'better-sqlite3'
import type { BalanceReport } from '../contract/types'
import { listClassesWithCounts } from '../db/queries/classes'
import { countImages } from '../db/queries/images'
import { labelCountsByClassAndSplit } from '../db/queries/labels'
import { readTransaction } from '../db/transaction'
import { getSplitRatios } from '../splits/apply-splits'

/** Below these, a class cannot be learned or judged reliably; the UI says so where the user looks. */
export const MIN_TRAIN_IMAGES = 20
export const MIN_VAL_IMAGES = 5
/** Largest class / smallest class above which the trainer's remedies are worth it. */
export const IMBALANCE_WARNING = 3

/** Counts per class × split, the imbalance ratio, and plain-language warnings. */
export function balanceReport(db: Database): BalanceReport {
  // One snapshot, so the cells, the class list and the unlabeled count agree while an import writes.
  const { cells, counts, classList, ratios } = readTransaction(db, () => ({
    cells: labelCountsByClassAndSplit(db),
    counts: countImages(db),
    classList: listClassesWithCounts(db),
    ratios: getSplitRatios(db)
  }))
  const unlabeled = counts.total - counts.labeled
  const classes = classList.map((item) => {
    const row = { classId: item.id, name: item.name, color: item.color, train: 0, val: 0, test: 0, none: 0, total: 0 }
    for (const cell of cells) if (cell.classId === item.id) row[cell.split] += cell.n
    row.total = row.train + row.val + row.test + row.none
    return row
  })
  const totals = classes.map((row) => row.total).filter((n) => n > 0)
  const imbalanceRatio = totals.length >= 2 ? Math.round((Math.max(...totals) / Math.min(...totals)) * 100) / 100 : null

  const warnings: string[] = []
  const assigned = classes.some((row) => row.train + row.val + row.test > 0)
  for (const row of classes) {
    if (row.total === 0) continue
    const train = assigned ? row.train : row.total
    if (train < MIN_TRAIN_IMAGES) {
      warnings.push(`“${row.name}” has ${train} training images; at least ${MIN_TRAIN_IMAGES} are needed to learn it.`)
    }
    if (assigned && row.val < MIN_VAL_IMAGES) {
      warnings.push(`“${row.name}” has ${row.val} validation images; with fewer than ${MIN_VAL_IMAGES} its accuracy is guesswork.`)
    }
  }
  if (imbalanceRatio !== null && imbalanceRatio > IMBALANCE_WARNING) {
    warnings.push(
      `The largest class is ${imbalanceRatio}× the smallest. Training will weight classes (or oversample the small ones) so the model does not just learn to say the common class.`
    )
  }
  if (unlabeled > 0) warnings.push(`${unlabeled} images are unlabeled and will not be used for training.`)
  return { ratios, classes, unlabeled, imbalanceRatio, warnings }
}
