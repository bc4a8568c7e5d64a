// Which image goes where in a dataset export, decided from the project's rows alone (no file system):
// `<split>/<class folder>/<file>` for labeled images, `unlabeled/<file>` for the rest when asked for,
// with the counts the CLI, the dataset card and the tests read.
import { basename, join } from 'node:path'
import type { ImageSplit } from '../contract/types'
import type { DatasetRow, DatasetSource } from '../db/queries/dataset-rows'
import { classFolders, fileNames } from './safe-names'

export const DATASET_FORMATS = ['keras', 'imagefolder', 'csv', 'webdataset'] as const
export type DatasetFormat = (typeof DATASET_FORMATS)[number]
export const SPLIT_CHOICES = ['all', 'train', 'val', 'test'] as const
export type SplitChoice = (typeof SPLIT_CHOICES)[number]

/** Labeled images no split was assigned to go to this folder beside train/, val/ and test/. */
export const UNSPLIT = 'unsplit'
/** Unlabeled images (with --include-unlabeled) go here, outside every split, so no reader takes it for a class. */
export const UNLABELED = 'unlabeled'

export type SplitFolder = ImageSplit | typeof UNSPLIT

export interface ExportedClass {
  /** Position in the project's class order: a model trained on the project has its outputs in this order. */
  index: number
  name: string
  folder: string
}

export interface PlannedFile {
  row: DatasetRow
  /** Absolute path of the image as the project knows it. */
  source: string
  /** Where it goes, '/'-separated, relative to the export folder (the webdataset format writes shards instead). */
  path: string
  split: SplitFolder
  /** Exact class name; null for an unlabeled image. */
  label: string | null
}

export interface DatasetPlan {
  classes: ExportedClass[]
  files: PlannedFile[]
  /** Split folder → exact class name → images exported; every class of every split present is listed, 0 included. */
  counts: Partial<Record<SplitFolder, Record<string, number>>>
  /** Unlabeled images exported, by split folder (only with --include-unlabeled). */
  unlabeled: Partial<Record<SplitFolder, number>>
  leftOut: { failed: number; missing: number; unlabeled: number; otherSplits: number }
}

export function planDataset(source: DatasetSource, options: { split: SplitChoice; includeUnlabeled: boolean }): DatasetPlan {
  const folders = classFolders(source.classes.map((entry) => entry.name))
  const classes = source.classes.map((entry, index) => ({ index, name: entry.name, folder: folders[index]! }))
  const byId = new Map(source.classes.map((entry, index) => [entry.id, classes[index]!]))
  const leftOut = { ...source.skipped, unlabeled: 0, otherSplits: 0 }
  const counts: DatasetPlan['counts'] = {}
  const unlabeled: DatasetPlan['unlabeled'] = {}
  const groups = new Map<string, { row: DatasetRow; split: SplitFolder; label: ExportedClass | null }[]>()

  for (const row of source.rows) {
    const split: SplitFolder = row.split ?? UNSPLIT
    if (options.split !== 'all' && row.split !== options.split) {
      leftOut.otherSplits++
      continue
    }
    const label = row.classId === null ? null : (byId.get(row.classId) ?? null)
    if (label === null && !options.includeUnlabeled) {
      leftOut.unlabeled++
      continue
    }
    const folder = label === null ? UNLABELED : `${split}/${label.folder}`
    if (!groups.has(folder)) groups.set(folder, [])
    groups.get(folder)!.push({ row, split, label })
    if (label === null) unlabeled[split] = (unlabeled[split] ?? 0) + 1
    else {
      counts[split] ??= Object.fromEntries(classes.map((entry) => [entry.name, 0]))
      counts[split][label.name]!++
    }
  }

  const files: PlannedFile[] = []
  for (const [folder, members] of groups) {
    const sources = members.map(({ row }) => join(row.root, row.relPath))
    const names = fileNames(members.map(({ row }, index) => ({ fileName: basename(row.relPath), sourcePath: sources[index]! })))
    members.forEach(({ row, split, label }, index) => {
      files.push({ row, source: sources[index]!, path: `${folder}/${names[index]!}`, split, label: label?.name ?? null })
    })
  }
  files.sort((a, b) => a.row.imageId - b.row.imageId)
  return { classes, files, counts, unlabeled, leftOut }
}

/** The split folders present, in the order a reader expects them. */
export function splitFolders(plan: Pick<DatasetPlan, 'counts' | 'unlabeled'>): SplitFolder[] {
  return (['train', 'val', 'test', UNSPLIT] as const).filter((split) => plan.counts[split] !== undefined || plan.unlabeled[split] !== undefined)
}
