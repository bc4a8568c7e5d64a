import { parseArgs } from 'node:util'
import { logRootOf } from '../core/run-folders'
import { cliServices } from './cli-services'
import { cliPath, printJson, unwrap, UsageError } from './output'

export const RUNS_LOGS_USAGE = 'pictor runs logs --project FILE [--run ID]... --out DIR [--json]'

/**
 * `pictor runs logs`: TensorBoard event files for runs that exist already (issue 17), written from
 * what the project stored — the same runs.writeLogs the app would call. Runs trained since schema
 * v13 have their own logs already (`pictor train` prints where); this is for older, imported or
 * relocated ones.
 */
export async function runsLogs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { project: { type: 'string' }, run: { type: 'string', multiple: true }, out: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true
  })
  if (positionals.length > 0) throw new UsageError(`runs logs takes no positional arguments (got ${positionals[0]})`)
  if (!values.project) throw new UsageError('runs logs needs --project FILE')
  if (!values.out) throw new UsageError('runs logs needs --out DIR (the folder to give `tensorboard --logdir`)')
  const runIds = (values.run ?? []).map((text) => {
    const id = Number(text)
    if (!Number.isInteger(id) || id < 1) throw new UsageError(`--run must be a run number, got ${text}`)
    return id
  })
  const out = cliPath(values.out)
  const services = cliServices()
  try {
    unwrap(await services.call('project.open', { path: cliPath(values.project) }))
    const written = unwrap(await services.call('runs.writeLogs', { runIds, out }))
    if (values.json) {
      printJson({ out, runs: written })
      return 0
    }
    if (written.length === 0) console.log('No run has recorded epochs yet: nothing to write.')
    for (const run of written) {
      const images = run.images ? ', confusion matrix and worst mistakes' : ' (no evaluation stored: `pictor eval` first for the confusion matrix)'
      console.log(`Run ${run.runId}: ${run.epochs} epochs${images} → ${run.dir}`)
    }
    if (written.length > 0) console.log(`View: tensorboard --logdir ${logRootOf(written[0]!.dir)}`)
    return 0
  } finally {
    services.close()
  }
}
