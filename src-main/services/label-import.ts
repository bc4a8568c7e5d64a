// Label import, the applying half: the plan (src-main/dataset/label-import.ts) made and carried out in
// one write transaction, so what was reported is what was written. The labels go through Labeling, the
// same path as every label change in the app: one undo step (Ctrl+Z in Pictor, or Labeling.undo),
// origin 'import'; classes the file names and the project lacks are created as the app creates them.
import { basename } from 'node:path'
import type { Database } from 'better-sqlite3'
import { chooseMatch, planLabelImport, type LabelFile, type LabelImportReport, type MatchBy } from '../dataset/label-import'
import { findLiveClassByName, listClassesWithCounts } from '../db/queries/classes'
import { loadLabelTargets } from '../db/queries/label-targets'
import { readTransaction, writeTransaction } from '../db/transaction'
import { Labeling } from './labeling'

export interface LabelImportResult extends LabelImportReport {
  dryRun: boolean
  /** True when labels or classes were written. */
  applied: boolean
  /** The undo step the import became (what Ctrl+Z says it undoes), or null when nothing changed. */
  undo: string | null
}

export function importLabels(db: Database, file: LabelFile, options: { by?: MatchBy; dryRun: boolean }): LabelImportResult {
  const match = chooseMatch(file, options.by)
  const plan = () => planLabelImport(file, loadLabelTargets(db), new Set(listClassesWithCounts(db).map((entry) => entry.name)), match)
  if (options.dryRun) return { ...readTransaction(db, plan).report, dryRun: true, applied: false, undo: null }
  return writeTransaction(db, () => {
    const { report, targets } = plan()
    if (targets.length === 0) return { ...report, dryRun: false, applied: false, undo: null }
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
    return { ...report, dryRun: false, applied: true, undo: change.description }
  })
}
