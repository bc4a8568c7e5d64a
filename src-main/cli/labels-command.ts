import { parseArgs } from 'node:util'
import { closeProjectDatabase, openProject } from '../db/connection'
import { MATCH_BY, readLabelFile, type MatchBy } from '../dataset/label-import'
import { importLabels, type LabelImportResult } from '../services/label-import'
import type { Command } from './command'
import { cliPath, CliFailure, printJson, UsageError } from './output'

const USAGE = 'pictor labels import --project FILE LABELS.csv [--by path|sha256] [--dry-run] [--json]'

/**
 * `pictor labels import`: labels from a CSV (a `label` column and a `path` or `sha256` one, as
 * `pictor dataset export --format csv` writes) given to the project's images as one undoable step,
 * origin 'import'. What it matched, changed and could not place is reported; --dry-run stops there.
 */
export const labelsCommand: Command = {
  name: 'labels',
  usage: USAGE,
  summary: 'import labels from a CSV (path or sha256, label), as one step the app can undo',
  async run(args) {
    const [action, ...rest] = args
    if (action !== 'import') throw new UsageError(action === undefined ? 'labels needs an action: import' : `unknown action "${action}"; the action is import`)
    const { values, positionals } = parseArgs({
      args: rest,
      options: { project: { type: 'string' }, by: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true
    })
    const [csv] = positionals
    if (!csv || positionals.length > 1) throw new UsageError('labels import takes exactly one CSV file')
    if (!values.project) throw new UsageError('labels import needs --project FILE')
    if (values.by !== undefined && !MATCH_BY.includes(values.by as MatchBy)) throw new UsageError(`--by must be ${MATCH_BY.join(' or ')}, got ${values.by}`)
    const dryRun = values['dry-run'] === true

    // The file first: a typo in its name should not wait for the project's integrity check.
    const file = readLabelFile(cliPath(csv))
    const { db, readOnly } = openProject(cliPath(values.project))
    try {
      if (readOnly && !dryRun) throw new CliFailure(`READ_ONLY: ${values.project} is read-only, so labels cannot be imported into it (--dry-run still reports what would change)`)
      const result = importLabels(db, file, { ...(values.by ? { by: values.by as MatchBy } : {}), dryRun })
      if (values.json) printJson(result)
      else printSummary(result)
      return 0
    } finally {
      closeProjectDatabase(db)
    }
  }
}

function printSummary(result: LabelImportResult): void {
  const { rows, images } = result
  const why = !result.byDefault ? '' : result.by === 'sha256' ? ' (the file has a sha256 column; --by path matches file paths instead)' : ' (the file has no sha256 column)'
  console.log(`Matched rows by ${result.by}${why}.`)
  console.log(`Rows: ${rows.total} — ${rows.matched} matched, ${rows.unmatched} unmatched${rows.withoutLabel ? `, ${rows.withoutLabel} without a label (left alone)` : ''}.`)
  console.log(`Images: ${images.labeled} newly labeled, ${images.changed} changed, ${images.unchanged} unchanged, ${images.conflicting} conflicting (left alone).`)
  if (result.newClasses.length > 0) console.log(`New classes: ${result.newClasses.join(', ')}`)
  for (const { line, value } of result.unmatched) console.log(`  unmatched, line ${line}: ${value || '(empty)'}`)
  if (rows.unmatched > result.unmatched.length) console.log(`  … and ${rows.unmatched - result.unmatched.length} more unmatched rows`)
  for (const { path, labels } of result.conflicts) console.log(`  conflicting: ${path} is given ${labels.join(', ')}`)
  if (images.conflicting > result.conflicts.length) console.log(`  … and ${images.conflicting - result.conflicts.length} more conflicting images`)
  if (result.dryRun) console.log('Dry run: nothing was changed.')
  else if (result.applied) console.log(`Applied as one undoable step: “${result.undo}” (Undo in Pictor takes it back).`)
  else console.log('Nothing to change.')
}
