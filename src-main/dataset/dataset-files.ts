// The text files of a dataset export besides the images: classes.json (every format), metadata.jsonl
// (imagefolder, Hugging Face's convention) and dataset.csv (csv).
import { csvField } from '../export/prediction-csv'
import type { DatasetFormat, DatasetPlan } from './dataset-plan'

export const CLASSES_FILE = 'classes.json'
export const METADATA_FILE = 'metadata.jsonl'
export const CSV_FILE = 'dataset.csv'
export const CARD_FILE = 'README.md'

/**
 * The exact class names in the project's order (a model trained in Pictor has its outputs in this
 * order; readers that sort folders alphabetically, like torchvision's ImageFolder, may number them
 * differently) and the folder each was written to.
 */
export function classesJson(plan: DatasetPlan): string {
  return `${JSON.stringify({ names: plan.classes.map((entry) => entry.name), classes: plan.classes }, null, 2)}\n`
}

/**
 * `metadata.jsonl` in each top-level folder (train/, val/, test/, …), as Hugging Face's own split
 * layout has it: one JSON object a line, `file_name` relative to the folder the file sits in.
 * Answers folder → text.
 */
export function metadataJsonl(plan: DatasetPlan): Record<string, string> {
  const files: Record<string, string> = {}
  for (const file of plan.files) {
    const [top, ...rest] = file.path.split('/')
    const line = JSON.stringify({
      file_name: rest.join('/'),
      label: file.label,
      split: file.split,
      sha256: file.row.contentHash,
      width: file.row.width,
      height: file.row.height,
      label_origin: file.row.labelOrigin,
      label_issue_score: file.row.labelIssueScore
    })
    files[top!] = `${files[top!] ?? ''}${line}\n`
  }
  return files
}

/** RFC 4180, UTF-8, CRLF line ends, one row per image; `path` is relative to the export folder, '/'-separated. */
export function datasetCsv(plan: DatasetPlan): string {
  const rows = [['path', 'label', 'split', 'sha256', 'label_origin']]
  for (const file of plan.files) rows.push([file.path, file.label ?? '', file.split, file.row.contentHash ?? '', file.row.labelOrigin ?? ''])
  return rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join('')
}

/** Every text file a format writes (the images aside), by '/'-separated path. */
export function textFiles(format: DatasetFormat, plan: DatasetPlan, card: string): Record<string, string> {
  const files: Record<string, string> = { [CLASSES_FILE]: classesJson(plan), [CARD_FILE]: card }
  if (format === 'imagefolder') for (const [folder, text] of Object.entries(metadataJsonl(plan))) files[`${folder}/${METADATA_FILE}`] = text
  if (format === 'csv') files[CSV_FILE] = datasetCsv(plan)
  return files
}
