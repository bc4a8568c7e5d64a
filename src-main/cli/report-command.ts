import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runWithModel } from '../classifier/run-choice'
import { defaultDataDir } from '../core/data-dir'
import { openProjectDatabase } from '../db/connection'
import { modelsDirectory } from '../models/base-model-store'
import { writeRunReport } from '../report/write-report'
import type { Command } from './command'
import { cliPath, printJson, UsageError } from './output'
import { runWithProgress } from './progress-line'

const USAGE = 'pictor report --project FILE [--run ID] [--out report.html] [--json]'

/**
 * `pictor report`: a run's model card as one self-contained HTML file (open it in a browser, print
 * it to PDF). Default run: the newest finished run with a model; default file: report.html in the
 * run's log folder, beside its TensorBoard logs. A run never evaluated is evaluated first.
 */
export const reportCommand: Command = {
  name: 'report',
  usage: USAGE,
  summary: "write a run's report (model card) as one HTML file: data, curves, metrics with intervals, confusions, limits",
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { project: { type: 'string' }, run: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`)
    if (!values.project) throw new UsageError('report needs --project FILE')
    const requested = values.run === undefined ? undefined : Number(values.run)
    if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) throw new UsageError(`--run must be a run id, got ${values.run}`)

    const projectPath = cliPath(values.project)
    // The session's connection opens (and migrates) the project and picks the run; the job then
    // works on its own connection, as it would in the app.
    const db = openProjectDatabase(projectPath)
    let runId: number
    try {
      runId = runWithModel(db, requested, 'to report on').id
    } finally {
      db.close()
    }
    const dataDir = defaultDataDir()
    const result = await runWithProgress((context) =>
      writeRunReport(
        {
          projectPath,
          modelsDir: modelsDirectory(),
          cacheDir: join(dataDir, 'cache'),
          thumbnailsDir: join(dataDir, 'thumbnails'),
          runId,
          outPath: values.out ? cliPath(values.out) : null
        },
        context
      )
    )
    if (values.json) printJson(result)
    else console.log(`Wrote the report of run ${result.runId} to ${result.path}${result.evaluated ? ' (evaluated the run first)' : ''}`)
    return 0
  }
}
