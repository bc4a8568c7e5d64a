// Label import, the reading and matching half (`pictor labels import`, issue 15): a CSV with a label
// column and a path or sha256 column — the columns `pictor dataset export --format csv` writes — read,
// checked and matched to a project's images, with what applying it would do. Nothing here writes;
// applying is src-main/services/label-import.ts.
import { readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { AppError, fromSystemError } from '../core/errors'
import type { LabelTarget } from '../db/queries/label-targets'
import { CsvSyntaxError, parseCsv } from './csv-parse'
import type { LabelImportReport, MatchBy } from '../contract/label-import'

// The report's shape is the contract's: the app's renderer shows it too.
export { MATCH_BY, type LabelImportReport, type MatchBy } from '../contract/label-import'

/** How many unmatched rows and conflicting images a report lists by name (all are counted). */
export const SAMPLE_LIMIT = 20

/** The longest class name a project takes (the classes table's CHECK). */
const MAX_CLASS_NAME = 100

export interface LabelFile {
  /** Absolute. */
  file: string
  /** Column indexes by role; `path` and `sha256` are null when the header has no such column. */
  columns: { label: number; path: number | null; sha256: number | null }
  /** Data records, blank lines left out. */
  rows: { line: number; fields: string[] }[]
}

/**
 * Reads and checks a label CSV: UTF-8, RFC 4180, a header row naming a `label` column and a `path`
 * or `sha256` one (case and surrounding spaces aside; other columns are ignored), every record as
 * wide as the header. Anything else is an AppError with a one-line reason.
 */
export function readLabelFile(file: string): LabelFile {
  let bytes: Buffer
  try {
    if (statSync(file).isDirectory()) throw new AppError('INVALID_REQUEST', `${file} is a folder, not a CSV file`)
    bytes = readFileSync(file)
  } catch (error) {
    throw fromSystemError(error, file) ?? error
  }
  const notCsv = (reason: string) => new AppError('INVALID_REQUEST', `${file} is not a CSV file: ${reason}`)
  if (bytes.includes(0)) throw notCsv('it holds binary data')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw notCsv('it is not UTF-8 text')
  }
  let records
  try {
    records = parseCsv(text).filter((record) => record.fields.length > 1 || record.fields[0]!.trim() !== '')
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw notCsv(error.message)
    throw error
  }
  const [header, ...rows] = records
  if (!header) throw notCsv('it is empty (a label CSV starts with a header row: path,label or sha256,label)')
  for (const row of rows) {
    if (row.fields.length !== header.fields.length) {
      throw notCsv(`line ${row.line} has ${row.fields.length} fields but the header has ${header.fields.length}`)
    }
  }
  const names = header.fields.map((name) => name.trim().toLowerCase())
  const column = (name: string) => (names.includes(name) ? names.indexOf(name) : null)
  const label = column('label')
  const shown = header.fields.join(',')
  if (label === null) throw new AppError('INVALID_REQUEST', `${file} has no label column (its header: ${shown})`)
  const columns = { label, path: column('path'), sha256: column('sha256') }
  if (columns.path === null && columns.sha256 === null) {
    throw new AppError('INVALID_REQUEST', `${file} has no path or sha256 column to match images by (its header: ${shown})`)
  }
  return { file, columns, rows }
}

/**
 * What to match by: the one asked for (its column must be there), else sha256 when the file has that
 * column — a dataset export's paths are its own `train/<class>/<file>`, not where the images live —
 * else path. `defaulted` says the choice was not the user's, so the summary can say why.
 */
export function chooseMatch(file: LabelFile, requested?: MatchBy): { by: MatchBy; defaulted: boolean } {
  if (requested) {
    if (file.columns[requested] === null) {
      const other = requested === 'path' ? 'sha256' : 'path'
      const hint = file.columns[other] === null ? '' : `; it has a ${other} column (--by ${other})`
      throw new AppError('INVALID_REQUEST', `${file.file} has no ${requested} column to match by${hint}`)
    }
    return { by: requested, defaulted: false }
  }
  return { by: file.columns.sha256 === null ? 'path' : 'sha256', defaulted: true }
}

export interface LabelImportPlan {
  report: LabelImportReport
  /** Images whose label the import sets (labeled and changed), with the class name. */
  targets: { imageId: number; label: string }[]
}

/** Matches the file's rows to `images` (the project's readable images) and says what applying would do. */
export function planLabelImport(
  file: LabelFile,
  images: readonly LabelTarget[],
  liveClassNames: ReadonlySet<string>,
  match: { by: MatchBy; defaulted: boolean }
): LabelImportPlan {
  const byKey = new Map<string, LabelTarget[]>()
  for (const image of images) {
    const key = match.by === 'path' ? resolve(image.root, image.relPath) : image.contentHash?.toLowerCase()
    if (key) byKey.set(key, [...(byKey.get(key) ?? []), image])
  }
  const folder = dirname(file.file)
  const keyColumn = file.columns[match.by]!
  const report: LabelImportReport = {
    file: file.file,
    by: match.by,
    byDefault: match.defaulted,
    rows: { total: file.rows.length, matched: 0, unmatched: 0, withoutLabel: 0 },
    images: { labeled: 0, changed: 0, unchanged: 0, conflicting: 0 },
    newClasses: [],
    unmatched: [],
    conflicts: []
  }
  // Each image's labels in the file, in the order the rows give them.
  const given = new Map<LabelTarget, Set<string>>()
  for (const { line, fields } of file.rows) {
    const label = fields[file.columns.label]!
    if (label.trim() === '') {
      report.rows.withoutLabel++
      continue
    }
    if ([...label.trim()].length > MAX_CLASS_NAME) {
      throw new AppError('INVALID_REQUEST', `${file.file}, line ${line}: the label is longer than ${MAX_CLASS_NAME} characters`)
    }
    const value = fields[keyColumn]!.trim()
    const key = value === '' ? undefined : match.by === 'path' ? resolve(folder, value) : value.toLowerCase()
    const matched = key === undefined ? undefined : byKey.get(key)
    if (!matched) {
      report.rows.unmatched++
      if (report.unmatched.length < SAMPLE_LIMIT) report.unmatched.push({ line, value })
      continue
    }
    report.rows.matched++
    for (const image of matched) given.set(image, (given.get(image) ?? new Set()).add(label))
  }
  const targets: LabelImportPlan['targets'] = []
  const newClasses = new Set<string>()
  for (const [image, labels] of given) {
    if (labels.size > 1) {
      report.images.conflicting++
      if (report.conflicts.length < SAMPLE_LIMIT) report.conflicts.push({ path: resolve(image.root, image.relPath), labels: [...labels] })
      continue
    }
    const label = [...labels][0]!
    if (image.label === label) {
      report.images.unchanged++
      continue
    }
    if (image.label === null) report.images.labeled++
    else report.images.changed++
    targets.push({ imageId: image.imageId, label })
    if (!liveClassNames.has(label)) newClasses.add(label)
  }
  report.newClasses = [...newClasses]
  return { report, targets }
}
