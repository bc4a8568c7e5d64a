import { parseArgs } from 'node:util'
import type { Evaluation, EvaluationSplit, JobProgress } from '../contract/types'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { runCliJob } from './job-session'
import { cliPath, CliFailure, printJson, unwrap, UsageError } from './output'

const SPLITS: readonly EvaluationSplit[] = ['test', 'val', 'train', 'all']

/** `pictor eval`: a run's metrics on a split, evaluating it first (the Review view's job) if it never was. */
export const evalCommand: Command = {
  name: 'eval',
  usage: 'pictor eval --project FILE [--run ID] [--split test|val|train|all] [--json]',
  summary: "score a run's model against the current labels: accuracy, per-class precision/recall/F1, confusion matrix",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { project: { type: 'string' }, run: { type: 'string' }, split: { type: 'string', default: 'test' }, json: { type: 'boolean' } },
      strict: true
    })
    if (!values.project) throw new UsageError('eval needs --project FILE')
    const split = values.split as EvaluationSplit
    if (!SPLITS.includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}`)
    const runId = values.run === undefined ? undefined : Number(values.run)
    if (runId !== undefined && (!Number.isInteger(runId) || runId < 1)) throw new UsageError(`--run must be a run id, got ${values.run}`)

    const services = cliServices()
    try {
      unwrap(await services.call('project.open', { path: cliPath(values.project) }))
      let evaluation = unwrap(await services.call('review.evaluation', { ...(runId ? { runId } : {}), split }))
      if (!evaluation) {
        const {
          started: { runId: evaluated },
          outcome
        } = await runCliJob(
          services,
          async () => unwrap(await services.call('review.evaluate', runId ? { runId } : {})),
          values.json ? () => {} : progressPrinter()
        )
        if (outcome.state === 'failed') throw new CliFailure(outcome.message)
        if (outcome.state === 'cancelled') {
          process.stderr.write('evaluation cancelled\n')
          return 1
        }
        evaluation = unwrap(await services.call('review.evaluation', { runId: evaluated, split }))
        if (!evaluation) throw new CliFailure(`run ${evaluated} has no stored evaluation after evaluating it`)
      }
      if (values.json) printJson(resultObject(evaluation))
      else printTable(evaluation)
      return 0
    } finally {
      services.close()
    }
  }
}

/** Progress on stderr about once a second, with the job manager's rate and ETA. */
function progressPrinter(): (progress: JobProgress) => void {
  let last = 0
  return (progress) => {
    const now = Date.now()
    if (progress.state === 'running' && now - last < 1000) return
    last = now
    const eta = progress.etaSeconds === null ? '' : `, about ${progress.etaSeconds}s left`
    process.stderr.write(`${progress.message}${eta}\n`)
  }
}

/** The JSON `pictor eval --json` prints: per-class metrics keyed by class name, as scripts want them. */
export function resultObject(evaluation: Evaluation) {
  const seen = new Set<string>()
  const perClass: Record<string, { classId: number; precision: number | null; recall: number | null; f1: number | null; support: number }> = {}
  for (const metrics of evaluation.perClass) {
    // Two output classes can share a name (a deleted "cat" and a new one): never let one hide the other.
    const key = seen.has(metrics.name) ? `${metrics.name} (#${metrics.classId})` : metrics.name
    seen.add(key)
    perClass[key] = { classId: metrics.classId, precision: metrics.precision, recall: metrics.recall, f1: metrics.f1, support: metrics.support }
  }
  return {
    runId: evaluation.runId,
    split: evaluation.split,
    count: evaluation.count,
    accuracy: evaluation.accuracy,
    perClass,
    labels: evaluation.labels,
    classIds: evaluation.classIds,
    confusion: evaluation.confusion,
    stale: evaluation.stale,
    unscored: evaluation.unscored,
    engine: evaluation.engine,
    computedAt: evaluation.computedAt
  }
}

function printTable(evaluation: Evaluation): void {
  const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`)
  console.log(`Run ${evaluation.runId} on the ${evaluation.split} split: ${evaluation.count} images, accuracy ${percent(evaluation.accuracy)}`)
  console.log(`  predicted by ${evaluation.engine} on ${new Date(evaluation.computedAt).toISOString()}`)
  if (evaluation.unscored > 0) console.log(`  ${evaluation.unscored} labeled images have no prediction yet (labeled or imported since)`)
  if (evaluation.stale) console.log('  labels changed since this model was trained: retrain to learn them')
  const width = Math.max(5, ...evaluation.labels.map((label) => label.length))
  console.log('')
  console.log(`  ${'class'.padEnd(width)}  precision     recall         F1    support`)
  for (const metrics of evaluation.perClass) {
    const cells = [metrics.precision, metrics.recall, metrics.f1].map((value) => percent(value).padStart(9)).join('  ')
    console.log(`  ${metrics.name.padEnd(width)}  ${cells}  ${String(metrics.support).padStart(9)}`)
  }
  console.log('')
  console.log('  confusion (rows: label, columns: prediction)')
  const cellWidth = Math.max(5, ...evaluation.confusion.flat().map((value) => String(value).length), ...evaluation.labels.map((l) => Math.min(l.length, 12)))
  console.log(`  ${''.padEnd(width)}  ${evaluation.labels.map((label) => label.slice(0, 12).padStart(cellWidth)).join(' ')}`)
  evaluation.confusion.forEach((row, index) => {
    console.log(`  ${evaluation.labels[index]!.padEnd(width)}  ${row.map((value) => String(value).padStart(cellWidth)).join(' ')}`)
  })
}
