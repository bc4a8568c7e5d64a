// Label import, the applying half: the plan (src-main/dataset/label-import.ts) made and carried out in
// one write transaction, so what was reported is what was written. The labels go through Labeling, the
// same path as every label change in the app: one undo step (Ctrl+Z in Pictor, or Labeling.undo),
// origin 'import'; classes the file names and the project lacks are created as the app creates them.
import { basename } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { LabelImportResult } from '../contract/label-import'
import type { LabelChange } from '../contract/types'
import { chooseMatch, planLabelImport, type LabelFile, type MatchBy } from '../dataset/label-import'
import { findLiveClassByName, listClassesWithCounts } from '../db/queries/classes'
import { loadLabelTargets } from '../db/queries/label-targets'
import { readTransaction, writeTransaction } from '../db/transaction'
import { Labeling } from './labeling'

export type { LabelImportResult } from '../contract/label-import'

export function importLabels(db: Database, file: LabelFile, options: { by?: MatchBy; dryRun: boolean }): LabelImportResult {
  return runLabelImport(db, file, options).result
}

/**
 * importLabels with the label change it made (null for a dry run or when nothing changed), as the
 * app announces it to its windows: when the import created classes, the change carries the class list.
 */
export function runLabelImport(db: Database, file: LabelFile, options: { by?: MatchBy; dryRun: boolean }): { result: LabelImportResult; change: LabelChange | null } {
  const match = chooseMatch(file, options.by)
  const plan = () => planLabelImport(file, loadLabelTargets(db), new Set(listClassesWithCounts(db).map((entry) => entry.name)), match)
  if (options.dryRun) return { result: { ...readTransaction(db, plan).report, dryRun: true, applied: false, undo: null }, change: null }
  return writeTransaction(db, () => {
    const { report, targets } = plan()
    if (targets.length === 0) return { result: { ...report, dryRun: false, applied: false, undo: null }, change: null }
    const labeling = new Labeling(() => db)
    for (const name of report.newClasses) labeling.createClass(name)
    const classIds = new Map<string, number>()
    for (const { label } of targets) if (!classIds.has(label)) classIds.set(label, findLiveClassByName(db, label)!.id)
    const images = targets.length === 1 ? '1 image' : `${targets.length} images`
    const change = labeling.assignEach(
      targets.map(({ imageId, label }) => ({ imageId, classId: classIds.get(label)! })),
      `Import labels from ${basename(file.file)} (${images})`,
      'import'
    )
    const classes = report.newClasses.length > 0 ? listClassesWithCounts(db) : change.classes
    return { result: { ...report, dryRun: false, applied: true, undo: change.description }, change: { ...change, classes } }
  })
}
