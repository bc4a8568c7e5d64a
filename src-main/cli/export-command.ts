import { parseArgs } from 'node:util'
import type { ExportFormat } from '../contract/types'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { cliPath, printJson, unwrap, UsageError } from './output'

const FORMATS: Record<string, ExportFormat[]> = { onnx: ['onnx'], tfjs: ['tfjs'], both: ['onnx', 'tfjs'] }

/** `pictor export`: the same export.run the Export view calls. */
export const exportCommand: Command = {
  name: 'export',
  usage: 'pictor export --project FILE [--run ID] [--format onnx|tfjs|both] --out DIR [--json]',
  summary: "write a run's model as ONNX and/or TF.js, with metadata.json and a README on how to use it",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        project: { type: 'string' },
        run: { type: 'string' },
        format: { type: 'string', default: 'both' },
        out: { type: 'string' },
        json: { type: 'boolean' }
      },
      strict: true
    })
    if (!values.project) throw new UsageError('export needs --project FILE')
    if (!values.out) throw new UsageError('export needs --out DIR')
    const formats = FORMATS[values.format]
    if (!formats) throw new UsageError(`--format must be onnx, tfjs or both, got ${values.format}`)
    const runId = values.run === undefined ? undefined : Number(values.run)
    if (runId !== undefined && !(Number.isInteger(runId) && runId > 0)) throw new UsageError(`--run must be a run id, got ${values.run}`)

    const services = cliServices()
    try {
      unwrap(await services.call('project.open', { path: cliPath(values.project) }))
      const result = unwrap(await services.call('export.run', { dir: cliPath(values.out), formats, ...(runId === undefined ? {} : { runId }) }))
      if (values.json) printJson(result)
      else {
        console.log(`Exported run ${result.runId} to ${result.dir}:`)
        for (const file of result.files) console.log(`  ${file}`)
        if (result.kept.length > 0) console.log(`Left your own files as they were: ${result.kept.join(', ')}`)
      }
      return 0
    } finally {
      services.close()
    }
  }
}
