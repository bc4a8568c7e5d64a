import { parseArgs } from 'node:util'
import type { ClassCount, LabelIssueReport } from '../contract/types'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { runCliJob } from './job-session'
import { cliPath, CliFailure, printJson, unwrap, UsageError } from './output'

/**
 * `pictor issues`: the Review view's suspected label errors from the command line. Runs the
 * confident-learning scan when the project has none (or with --rescan), then lists the suspects,
 * most suspicious first.
 */
export const issuesCommand: Command = {
  name: 'issues',
  usage: 'pictor issues --project FILE [--folds K] [--rescan] [--json]',
  summary: 'find labeled images whose label looks wrong (confident learning on MobileNetV2 features) and list them',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { project: { type: 'string' }, folds: { type: 'string' }, rescan: { type: 'boolean' }, json: { type: 'boolean' } },
      strict: true
    })
    if (!values.project) throw new UsageError('issues needs --project FILE')
    const folds = values.folds === undefined ? undefined : Number(values.folds)
    if (folds !== undefined && !(Number.isInteger(folds) && folds >= 2 && folds <= 10)) {
      throw new UsageError(`--folds must be a whole number from 2 to 10, got ${values.folds}`)
    }
    const services = cliServices()
    try {
      unwrap(await services.call('project.open', { path: cliPath(values.project) }))
      let report = unwrap(await services.call('review.labelIssues', {}))
      if (!report || values.rescan || (folds !== undefined && folds !== report.folds)) {
        let lastShown = ''
        const { outcome } = await runCliJob(
          services,
          async () => unwrap(await services.call('review.findLabelIssues', folds === undefined ? {} : { folds })),
          (progress) => {
            // A phase's last update and the job's end can carry the same message: print it once.
            const shown = progress.done === progress.total || progress.state !== 'running'
            if (!values.json && shown && progress.message !== lastShown) process.stderr.write(`${progress.message}\n`)
            if (shown) lastShown = progress.message
          }
        )
        if (outcome.state === 'failed') throw new CliFailure(outcome.message)
        if (outcome.state === 'cancelled') return 1
        report = unwrap(await services.call('review.labelIssues', {}))
        if (!report) throw new CliFailure('the scan finished but stored no result')
      }
      const classes = unwrap(await services.call('classes.list', {}))
      if (values.json) printJson(withNames(report, classes))
      else printReport(report, classes)
      return 0
    } finally {
      services.close()
    }
  }
}

function withNames(report: LabelIssueReport, classes: readonly ClassCount[]) {
  const name = className(classes)
  return {
    ...report,
    issues: report.issues.map((issue) => ({ ...issue, givenClass: name(issue.givenClassId), suggestedClass: name(issue.suggestedClassId) }))
  }
}

function printReport(report: LabelIssueReport, classes: readonly ClassCount[]): void {
  const name = className(classes)
  const percent = (value: number) => `${(value * 100).toFixed(0)}%`
  const when = new Date(report.computedAt).toISOString().replace('T', ' ').slice(0, 16)
  console.log(
    `${report.issues.length} of ${report.examined} labeled images look mislabeled (${report.folds} folds, ${when} UTC)` +
      (report.stale ? ' — labels changed since: run with --rescan to update' : '')
  )
  for (const issue of report.issues) {
    const verdict = issue.decision === 'pending' ? '' : `  [${issue.decision}]`
    console.log(
      `  ${issue.relPath}  ${name(issue.givenClassId)} (${percent(issue.selfConfidence)}) → ` +
        `${name(issue.suggestedClassId)} (${percent(issue.suggestedConfidence)})${verdict}`
    )
  }
}

function className(classes: readonly ClassCount[]): (id: number) => string {
  const names = new Map(classes.map((entry) => [entry.id, entry.name]))
  return (id) => names.get(id) ?? `class ${id}`
}
