import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { PREPROCESSING_PRESETS, type ImportedRun, type PreprocessingPreset } from '../contract/run-import'
import { fromSystemError } from '../core/errors'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { cliPath, CliFailure, printJson, unwrap, UsageError } from './output'
import { RUNS_LOGS_USAGE, runsLogs } from './runs-logs-action'

const IMPORT_USAGE =
  'pictor runs import --project FILE MODEL.onnx|FOLDER [--labels a,b,c | --labels-file FILE] [--preprocessing mobilenet|unit|SCALE,OFFSET] [--json]'

/**
 * `pictor runs import`: a classifier trained elsewhere, as ONNX, becomes a finished run (issue 15,
 * "Bring it back"): the same runs.import the app calls. Labels and preprocessing come from the model's
 * Pictor metadata (metadata_props, or metadata.json beside it); flags give them where it has none.
 */
export const runsCommand: Command = {
  name: 'runs',
  usage: `${IMPORT_USAGE}\n       ${RUNS_LOGS_USAGE}`,
  summary: 'import an ONNX classifier trained elsewhere as a run; write TensorBoard logs of existing runs',
  async run(args) {
    const [action, ...rest] = args
    if (action === 'logs') return runsLogs(rest)
    if (action !== 'import') throw new UsageError(action === undefined ? 'runs needs an action: import or logs' : `unknown action "${action}"; the actions are import and logs`)
    return runsImport(rest)
  }
}

async function runsImport(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      project: { type: 'string' },
      labels: { type: 'string' },
      'labels-file': { type: 'string' },
      preprocessing: { type: 'string' },
      json: { type: 'boolean' }
    },
    allowPositionals: true,
    strict: true
  })
  const [model] = positionals
  if (!model || positionals.length > 1) throw new UsageError('runs import takes exactly one .onnx file or folder')
  if (!values.project) throw new UsageError('runs import needs --project FILE')
  if (values.labels !== undefined && values['labels-file'] !== undefined) throw new UsageError('give --labels or --labels-file, not both')
  const labels = values.labels !== undefined ? splitLabels(values.labels) : values['labels-file'] !== undefined ? readLabels(values['labels-file']) : undefined
  const preprocessing = values.preprocessing === undefined ? undefined : parsePreprocessing(values.preprocessing)

  const services = cliServices()
  try {
    unwrap(await services.call('project.open', { path: cliPath(values.project) }))
    const imported = unwrap(
      await services.call('runs.import', { path: cliPath(model), ...(labels ? { labels } : {}), ...(preprocessing ? { preprocessing } : {}) })
    )
    if (values.json) printJson(imported)
    else printSummary(imported)
    return 0
  } finally {
    services.close()
  }
}

function splitLabels(text: string): string[] {
  return text.split(',').map((label) => label.trim())
}

/** One label per line, in output order; blank lines (a trailing newline) are not labels. */
function readLabels(file: string): string[] {
  let text: string
  try {
    text = readFileSync(cliPath(file), 'utf8')
  } catch (error) {
    const known = fromSystemError(error, `the labels file ${file}`)
    throw new CliFailure(known ? `${known.code}: ${known.message}` : `cannot read ${file}: ${(error as Error).message}`)
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

function parsePreprocessing(text: string): PreprocessingPreset | { scale: number; offset: number } {
  if (Object.hasOwn(PREPROCESSING_PRESETS, text)) return text as PreprocessingPreset
  const parts = text.split(',').map((part) => Number(part.trim()))
  const [scale, offset] = parts
  if (parts.length !== 2 || !Number.isFinite(scale) || !Number.isFinite(offset) || scale === 0) {
    throw new UsageError(`--preprocessing must be mobilenet (x/127.5-1), unit (x/255) or SCALE,OFFSET (input = byte * SCALE + OFFSET), got ${text}`)
  }
  return { scale: scale!, offset: offset! }
}

function printSummary(run: ImportedRun): void {
  const { height, width, channels } = run.input
  console.log(`Imported ${run.source} as run ${run.runId} (${run.originalKind}, on ${run.engine}; metadata from ${run.metadataFrom}).`)
  console.log(`Input: ${height}x${width}x${channels}, byte * ${run.preprocessing.scale} + ${run.preprocessing.offset}`)
  console.log(`Labels (output order): ${run.labels.join(', ')}`)
  console.log(`Next: pictor eval --project FILE --run ${run.runId}`)
}
