import { parseArgs } from 'node:util'
import type { ImportReport, JobProgress } from '../contract/types'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { runCliJob } from './job-session'
import { cliPath, CliFailure, printJson, unwrap, UsageError } from './output'

/**
 * `pictor import FOLDER --project FILE [--follow-links] [--json]`: the same import job the app runs, in a worker.
 * Exit 0 whenever the import ran (bad files are reported, not fatal); 1 when it could not run.
 */
export const importCommand: Command = {
  name: 'import',
  usage: 'pictor import FOLDER --project FILE [--follow-links] [--json]',
  summary: 'import (or re-scan) a folder of images: sub-folders name classes, train/val/test name splits',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      // Links that leave FOLDER are reported and left out unless --follow-links.
      options: { project: { type: 'string' }, json: { type: 'boolean' }, 'follow-links': { type: 'boolean' } },
      allowPositionals: true,
      strict: true
    })
    const [folder] = positionals
    if (!folder || positionals.length > 1) throw new UsageError('import takes exactly one folder')
    if (!values.project) throw new UsageError('import needs --project FILE')

    const services = cliServices()
    try {
      unwrap(await services.call('project.open', { path: cliPath(values.project) }))
      // Ctrl+C cancels cleanly: the files done so far stay imported, a re-run does the rest.
      const { outcome } = await runCliJob(
        services,
        async () => unwrap(await services.call('import.start', { folder: cliPath(folder), followLinks: values['follow-links'] === true })),
        (progress) => !values.json && showProgress(progress)
      )
      if (outcome.state === 'failed') throw new CliFailure(outcome.message)
      // This import's own report (a cancelled one too), not whichever import ran last.
      const report = outcome.result?.kind === 'import' ? outcome.result.report : null
      if (!report && outcome.state === 'cancelled') {
        process.stderr.write('import cancelled while scanning the folder: nothing was imported\n')
        return 1
      }
      if (!report) throw new CliFailure('the import finished without a report')
      if (values.json) printJson(report)
      else printSummary(report)
      return 0
    } finally {
      services.close()
    }
  }
}

let lastLine = 0
function showProgress(progress: JobProgress): void {
  if (progress.state !== 'running' || Date.now() - lastLine < 1000) return
  lastLine = Date.now()
  const of = progress.total === null ? '' : ` / ${progress.total}`
  const rate = progress.ratePerSecond === null ? '' : `, ${progress.ratePerSecond} files/s`
  const eta = progress.etaSeconds === null ? '' : `, ${progress.etaSeconds} s left`
  process.stderr.write(`${progress.done}${of}${rate}${eta}\n`)
}

function printSummary(report: ImportReport): void {
  const line = (label: string, value: number) => value > 0 && console.log(`  ${label.padEnd(11)} ${value}`)
  console.log(`${report.cancelled ? 'Cancelled' : 'Imported'} ${report.folder} in ${(report.durationMs / 1000).toFixed(1)} s`)
  line('new', report.imported)
  line('updated', report.updated)
  line('unchanged', report.unchanged)
  line('removed', report.removed)
  line('duplicates', report.duplicates)
  line('skipped', report.skipped)
  line('failed', report.failed)
  for (const [name, count] of Object.entries(report.classes)) console.log(`  class ${name}: ${count}`)
  for (const error of report.errors.slice(0, 20)) console.log(`  ! ${error.path}: ${error.code} — ${error.message}`)
  if (report.errors.length > 20) console.log(`  … and ${report.errors.length - 20} more (use --json for all)`)
}
