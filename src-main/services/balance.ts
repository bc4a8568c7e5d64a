import type { Database } from 'better-sqlite3'
import type { BalanceReport } from '../contract/types'
import { listClassesWithCounts } from '../db/queries/classes'
import { countImages } from '../db/queries/images'
import { labelCountsByClassAndSplit } from '../db/queries/labels'
import { splitUndoSummary } from '../db/queries/splits'
import { readTransaction } from '../db/transaction'
import { getSplitRatios } from '../splits/apply-splits'

/** Below these, a class cannot be learned or judged reliably; the UI says so where the user looks. */
export const MIN_TRAIN_IMAGES = 20
export const MIN_VAL_IMAGES = 5
/** Largest class / smallest class above which the trainer's remedies are worth it. */
export const IMBALANCE_WARNING = 3
/** From this many classes with the same shortfall on, they share one line instead of one each. */
export const GROUP_WARNINGS_FROM = 3
/** Classes named in a grouped line before "and N more". */
const NAMED_IN_GROUP = 6

/** "1 validation image", "0 validation images". */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

interface Shortfall {
  name: string
  count: number
}

/**
 * One line per class, or from GROUP_WARNINGS_FROM classes on one line naming the worst first:
 * twelve near-identical warnings say less than one that lists the twelve.
 */
function shortfallWarnings(
  shortfalls: Shortfall[],
  noun: string,
  one: (item: Shortfall) => string,
  many: (classes: string) => string
): string[] {
  if (shortfalls.length < GROUP_WARNINGS_FROM) return shortfalls.map(one)
  const sorted = [...shortfalls].sort((a, b) => a.count - b.count || a.name.localeCompare(b.name))
  const named = sorted.slice(0, NAMED_IN_GROUP).map((item) => `“${item.name}” ${item.count}`)
  const more = sorted.length - named.length
  return [many(`${shortfalls.length} classes have too few ${noun}s (${named.join(', ')}${more > 0 ? ` and ${more} more` : ''})`)]
}

/** Counts per class × split, the imbalance ratio, and plain-language warnings. */
export function balanceReport(db: Database): BalanceReport {
  // One snapshot, so the cells, the class list and the unlabeled count agree while an import writes.
  const { cells, counts, classList, ratios, undo } = readTransaction(db, () => ({
    cells: labelCountsByClassAndSplit(db),
    counts: countImages(db),
    classList: listClassesWithCounts(db),
    ratios: getSplitRatios(db),
    undo: splitUndoSummary(db)
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
  const present = classes.filter((row) => row.total > 0)
  const fewTrain = present.map((row) => ({ name: row.name, count: assigned ? row.train : row.total })).filter((item) => item.count < MIN_TRAIN_IMAGES)
  const fewVal = assigned ? present.filter((row) => row.val < MIN_VAL_IMAGES).map((row) => ({ name: row.name, count: row.val })) : []
  const trainLines = shortfallWarnings(
    fewTrain,
    'training image',
    (item) => `“${item.name}” has ${counted(item.count, 'training image')}; at least ${MIN_TRAIN_IMAGES} are needed to learn it.`,
    (list) => `${list}; each needs at least ${MIN_TRAIN_IMAGES} to be learned.`
  )
  // Assign splits tops validation up to the ratio, no further: where the ratio itself gives a class
  // fewer than MIN_VAL_IMAGES, pressing it again changes nothing, and the advice says what would.
  const ratioSum = ratios.train + ratios.val + ratios.test
  const valTarget = (name: string) => Math.round(((present.find((row) => row.name === name)?.total ?? 0) * ratios.val) / ratioSum)
  const assignHelps = fewVal.some((item) => valTarget(item.name) > item.count)
  const tooSmall = `At ${Math.round((ratios.val / ratioSum) * 100)} % validation that is all they get: raise Validation % or add images.`
  const valLines = shortfallWarnings(
    fewVal,
    'validation image',
    (item) =>
      `“${item.name}” has ${counted(item.count, 'validation image')}; with fewer than ${MIN_VAL_IMAGES} its accuracy is guesswork.` +
      (valTarget(item.name) > item.count ? '' : ` ${tooSmall.replace('they get', 'it gets')}`),
    (list) =>
      `${list}; with fewer than ${MIN_VAL_IMAGES} a class's accuracy is guesswork. ${assignHelps ? 'Assign splits moves training images to validation.' : tooSmall}`
  )
  // A few classes: each class's lines together, in class order. Grouped lines stand on their own.
  const classOf = (line: string) => present.findIndex((row) => line.startsWith(`“${row.name}” has `))
  warnings.push(
    ...[...trainLines, ...valLines]
      .map((line, index) => ({ line, index, at: classOf(line) < 0 ? Number.POSITIVE_INFINITY : classOf(line) }))
      .sort((a, b) => (a.at === b.at ? a.index - b.index : a.at - b.at))
      .map((entry) => entry.line)
  )
  if (imbalanceRatio !== null && imbalanceRatio > IMBALANCE_WARNING) {
    warnings.push(
      `The largest class is ${imbalanceRatio}× the smallest. Training will weight classes (or oversample the small ones) so the model does not just learn to say the common class.`
    )
  }
  if (unlabeled > 0) warnings.push(`${counted(unlabeled, 'image')} ${unlabeled === 1 ? 'is' : 'are'} unlabeled and will not be used for training.`)
  return { ratios, classes, unlabeled, imbalanceRatio, warnings, undo }
}
