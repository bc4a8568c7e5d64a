// The product path for `npm run bench:train`: `pictor create`, `pictor import FOLDER --json` and
// `pictor train --json` in child processes with a fresh data dir, exactly as a user would run them.
// While training runs, the epochs the run has recorded are read from the project file and printed.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { PICTOR, percent, runChild, seconds, tail } from './train-bench-common'
import type { EpochMetrics } from '../../src-main/contract/types'
import type { SplitFolder } from './train-bench-data'

/** One recorded epoch, as the run stores it in the project. */
export type EpochRow = EpochMetrics

export interface PictorTraining {
  label: string
  dataset: SplitFolder
  /** What the importer put in each split. */
  imported: { train: number; val: number; test: number; failed: number; duplicates: number }
  trainArgs: string[]
  importMs: number
  trainMs: number
  backend: string | null
  epochs: number
  testAccuracy: number | null
  valAccuracy: number | null
  /** Pictor's own figure: the mean of the per-epoch training rates (decode + augmentation + steps). */
  imagesPerSecond: number | null
  /** Training images × epochs ÷ the wall time of `pictor train` (start-up, validation and test included). */
  endToEndImagesPerSecond: number
  history: EpochRow[]
  notes: string[]
}

interface ImportJson {
  imported: number
  failed: number
  duplicates: number
  splits: { train: number; val: number; test: number }
  errors: { path: string; code: string; message: string }[]
}

interface TrainJson {
  status: string
  backend: string | null
  epochs: number
  valAccuracy: number | null
  testAccuracy: number | null
  imagesPerSecond: number | null
  history: EpochRow[]
  notes: string[]
}

const formatEpoch = (e: EpochRow) =>
  `    epoch ${e.epoch + 1}: loss ${e.loss.toFixed(3)}, acc ${percent(e.accuracy)}, val acc ${percent(e.valAccuracy)}, ` +
  `${e.imagesPerSecond} images/s, ${e.seconds} s`

/**
 * Prints the epochs recorded in the project since the last poll (the training process writes each one
 * when it ends), and a sign of life every two minutes without one.
 */
function epochReporter(project: string, started: number) {
  let shown = 0
  let lastPrint = started
  const alive = () => {
    if (performance.now() - lastPrint < 120_000) return
    console.log(`    … training, ${seconds(performance.now() - started)} so far`)
    lastPrint = performance.now()
  }
  const poll = () => {
    try {
      const db = new Database(project, { readonly: true, fileMustExist: true })
      try {
        const rows = db.prepare('SELECT metrics FROM run_epochs ORDER BY run_id, epoch').all() as { metrics: string }[]
        if (rows.length > shown) lastPrint = performance.now()
        for (const row of rows.slice(shown)) console.log(formatEpoch(JSON.parse(row.metrics) as EpochRow))
        shown = rows.length
      } finally {
        db.close()
      }
    } catch {
      // The file is busy or not there yet: try again at the next poll.
    }
    alive()
  }
  return { poll, rest: (history: EpochRow[]) => history.slice(shown).forEach((epoch) => console.log(formatEpoch(epoch))) }
}

/** create → import → train on `dataset`; throws when a command fails. */
export async function trainWithPictor(label: string, dataset: SplitFolder, trainArgs: string[], epochs: number): Promise<PictorTraining> {
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-train-'))
  try {
    const env = { ...process.env, PICTOR_DATA_DIR: join(work, 'data') }
    const project = join(work, 'bench.pictor')
    const cli = (args: string[], heartbeat?: () => void, everyMs?: number) =>
      runChild(process.execPath, [PICTOR, ...args], { env, ...(heartbeat ? { heartbeat, everyMs } : {}) })
    const created = await cli(['create', project, '--json'])
    if (created.code !== 0) throw new Error(`pictor create failed (${created.code}): ${tail(created.stderr)}`)

    const total = dataset.counts.train + dataset.counts.val + dataset.counts.test
    console.log(`  importing ${total} files from ${dataset.folder} …`)
    const imported = await cli(['import', dataset.folder, '--project', project, '--json'])
    if (imported.code !== 0) throw new Error(`pictor import exited ${imported.code}: ${tail(imported.stderr)}`)
    const report = JSON.parse(imported.stdout) as ImportJson
    console.log(`  import: ${seconds(imported.wallMs)}; imported ${report.imported}, failed ${report.failed}, duplicates ${report.duplicates}; ` +
      `splits train ${report.splits.train} / val ${report.splits.val} / test ${report.splits.test}`)
    if (report.failed > 0) console.log(`  note: failures, e.g. ${JSON.stringify(report.errors.slice(0, 3))}`)

    const args = ['train', '--project', project, '--epochs', String(epochs), ...trainArgs, '--json']
    console.log(`  pictor ${args.join(' ').replace(project, 'PROJECT')}`)
    const started = performance.now()
    const reporter = epochReporter(project, started)
    const trained = await cli(args, reporter.poll, 15_000)
    if (trained.code !== 0) throw new Error(`pictor train exited ${trained.code ?? trained.signal}: ${tail(trained.stderr)}`)
    const result = JSON.parse(trained.stdout) as TrainJson
    if (result.status !== 'done') throw new Error(`pictor train finished with status ${result.status}`)
    reporter.rest(result.history)
    const trainImages = report.splits.train
    return {
      label,
      dataset,
      imported: { ...report.splits, failed: report.failed, duplicates: report.duplicates },
      trainArgs,
      importMs: imported.wallMs,
      trainMs: trained.wallMs,
      backend: result.backend,
      epochs: result.epochs,
      testAccuracy: result.testAccuracy,
      valAccuracy: result.valAccuracy,
      imagesPerSecond: result.imagesPerSecond,
      endToEndImagesPerSecond: (trainImages * result.epochs * 1000) / trained.wallMs,
      history: result.history,
      notes: result.notes
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

export function printTraining(run: PictorTraining, reference: string): void {
  console.log(`  ${run.label}: test accuracy ${percent(run.testAccuracy)} (validation ${percent(run.valAccuracy)}) after ${run.epochs} epoch${run.epochs === 1 ? '' : 's'} ` +
    `on ${run.backend ?? '?'}; ${reference}`)
  console.log(`  time: import ${seconds(run.importMs)}, train ${seconds(run.trainMs)}; ${run.imagesPerSecond ?? '—'} images/s in training ` +
    `(Pictor's per-epoch mean), ${run.endToEndImagesPerSecond.toFixed(0)} images/s end to end`)
  for (const note of run.notes) console.log(`  note: ${note}`)
}
