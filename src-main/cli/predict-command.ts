import { open, stat, type FileHandle } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultDataDir } from '../core/data-dir'
import { AppError, fromSystemError } from '../core/errors'
import { openProjectDatabase } from '../db/connection'
import { csvHeader, csvRow } from '../export/prediction-csv'
import { predictFolder, type PredictionRow } from '../export/predict-folder'
import { exportedModelPredictor, runPredictor, type Predictor } from '../classifier/predictors'
import { modelsDirectory } from '../models/base-model-store'
import type { Command } from './command'
import { UsageError } from './output'

/**
 * `pictor predict`: classify every image below a folder with a project's run or a model Pictor
 * exported (an .onnx file, a TF.js folder, or the export folder). Rows stream out as batches finish (CSV file, JSON lines, or a readable table on stdout);
 * Ctrl+C stops after the batch in progress with everything so far written; the summary goes to stderr.
 * Exit 0 when the run completed (even with unreadable images), 1 when cancelled.
 */
export const predictCommand: Command = {
  name: 'predict',
  usage: 'pictor predict (--project FILE [--run ID] | --model MODEL.onnx|EXPORT_FOLDER) FOLDER [--csv OUT.csv] [--json] [--top K]',
  summary: 'predict the class of every image below a folder, with a run of a project or an exported model',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        project: { type: 'string' },
        run: { type: 'string' },
        model: { type: 'string' },
        csv: { type: 'string' },
        json: { type: 'boolean' },
        top: { type: 'string' }
      },
      allowPositionals: true,
      strict: true
    })
    const [folder] = positionals
    if (!folder || positionals.length > 1) throw new UsageError('predict takes exactly one folder')
    if (Boolean(values.project) === Boolean(values.model)) throw new UsageError('predict needs either --project FILE or --model MODEL.onnx|EXPORT_FOLDER')
    if (values.run !== undefined && !values.project) throw new UsageError('--run goes with --project')
    const runId = values.run === undefined ? undefined : Number(values.run)
    if (runId !== undefined && !(Number.isInteger(runId) && runId > 0)) throw new UsageError(`--run must be a run id, got ${values.run}`)
    const requestedTop = values.top === undefined ? 3 : Number(values.top)
    if (!(Number.isInteger(requestedTop) && requestedTop >= 1)) throw new UsageError(`--top must be a whole number ≥ 1, got ${values.top}`)

    // The cheap checks first: a mistyped folder is reported at once, not after seconds of loading a model.
    const target = resolve(folder)
    await requireFolder(target)
    const csvPath = values.csv ? resolve(values.csv) : null
    if (csvPath) await requireFileDestination(csvPath)

    const db = values.project ? openProjectDatabase(resolve(values.project)) : null
    let predictor: Predictor | null = null
    let csv: FileHandle | null = null
    const controller = new AbortController()
    const stop = () => {
      process.stderr.write('Stopping after the current batch…\n')
      controller.abort()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    // Piped into `head` and the reader left: stop like Ctrl+C instead of dying on EPIPE. Left in
    // place after the run: the EPIPE of the last write can arrive after predicting has finished.
    // Any other output failure (a full disk behind a redirect) also stops the run, and is reported
    // as one line at the end instead of being thrown from the event (an uncaught stack trace).
    const output: { failure: AppError | null } = { failure: null }
    const closedOutput = (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') output.failure ??= fromSystemError(error, 'the standard output') ?? new AppError('IO_ERROR', `cannot write the results: ${error.message}`)
      controller.abort()
    }
    process.stdout.on('error', closedOutput)
    try {
      predictor = db ? await runPredictor(db, runId, { modelsDir: modelsDirectory(defaultDataDir()) }) : await exportedModelPredictor(resolve(values.model!))
      const top = Math.min(requestedTop, predictor.labels.length)
      if (csvPath) {
        csv = await open(csvPath, 'w').catch((error: unknown) => {
          throw fromSystemError(error, csvPath) ?? error
        })
        await csv.write(csvHeader(top))
      }
      const write = async (rows: PredictionRow[]) => {
        if (csv) await csv.write(rows.map((row) => csvRow(row, top)).join(''))
        if (controller.signal.aborted && !csv) return
        if (values.json) process.stdout.write(rows.map((row) => `${JSON.stringify(row)}\n`).join(''))
        else if (!csv) process.stdout.write(rows.map(readableRow).join(''))
      }
      const summary = await predictFolder(target, predictor, { top, signal: controller.signal, onRows: write })
      if (output.failure) throw output.failure
      const rate = summary.imagesPerSecond === null ? '' : ` at ${summary.imagesPerSecond.toFixed(1)} images/s`
      process.stderr.write(
        `${summary.cancelled ? 'Cancelled: ' : ''}${summary.predicted} of ${summary.images} images predicted with ${summary.engine}${rate}` +
          `${summary.failed > 0 ? `, ${summary.failed} unreadable` : ''}${values.csv ? ` → ${values.csv}` : ''}\n`
      )
      return summary.cancelled ? 1 : 0
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      await csv?.close()
      predictor?.dispose()
      db?.close()
    }
  }
}

/** FOLDER must be a folder that exists (NOT_FOUND naming it otherwise, as `pictor import` says). */
async function requireFolder(path: string): Promise<void> {
  const info = await stat(path).catch((error: unknown) => {
    throw fromSystemError(error, `the folder ${path}`) ?? error
  })
  if (!info.isDirectory()) throw new AppError('NOT_FOUND', `${path} is a file, not a folder: give the folder that holds the images`)
}

/** --csv must name a file (not a folder) in a folder that exists; the file itself is written later. */
async function requireFileDestination(path: string): Promise<void> {
  const info = await stat(path).catch(() => null)
  if (info?.isDirectory()) throw new AppError('INVALID_REQUEST', `--csv ${path} is a folder; give a file name such as ${path}/predictions.csv`)
  const parent = await stat(dirname(path)).catch(() => null)
  if (!parent?.isDirectory()) throw new AppError('NOT_FOUND', `cannot write ${path}: the folder ${dirname(path)} does not exist`)
}

function readableRow(row: PredictionRow): string {
  if (row.error !== null) return `${row.path}\terror: ${row.error}\n`
  return `${row.path}\t${row.top.map((entry) => `${entry.label} ${(entry.probability * 100).toFixed(1)}%`).join('\t')}\n`
}
