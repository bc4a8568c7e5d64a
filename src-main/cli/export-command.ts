import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { ExportFormat } from '../contract/types'
import type { ExportQuantization } from '../classifier/model-metadata'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { cliPath, printJson, unwrap, UsageError } from './output'

const FORMATS: Record<string, ExportFormat[]> = { onnx: ['onnx'], tfjs: ['tfjs'], both: ['onnx', 'tfjs'] }

/** `pictor export`: the same export.run the Export view calls. */
export const exportCommand: Command = {
  name: 'export',
  usage: 'pictor export --project FILE [--run ID] [--format onnx|tfjs|both] [--quantize none|int8] --out DIR [--json]',
  summary: "write a run's model as ONNX and/or TF.js, with metadata.json and a README on how to use it",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        project: { type: 'string' },
        run: { type: 'string' },
        format: { type: 'string', default: 'both' },
        quantize: { type: 'string', default: 'none' },
        out: { type: 'string' },
        json: { type: 'boolean' }
      },
      strict: true
    })
    if (!values.project) throw new UsageError('export needs --project FILE')
    if (!values.out) throw new UsageError('export needs --out DIR')
    const formats = FORMATS[values.format]
    if (!formats) throw new UsageError(`--format must be onnx, tfjs or both, got ${values.format}`)
    const quantize = values.quantize
    if (quantize !== 'none' && quantize !== 'int8') throw new UsageError(`--quantize must be none or int8, got ${quantize}`)
    const runId = values.run === undefined ? undefined : Number(values.run)
    if (runId !== undefined && !(Number.isInteger(runId) && runId > 0)) throw new UsageError(`--run must be a run id, got ${values.run}`)

    const services = cliServices()
    try {
      unwrap(await services.call('project.open', { path: cliPath(values.project) }))
      const result = unwrap(await services.call('export.run', { dir: cliPath(values.out), formats, quantize, ...(runId === undefined ? {} : { runId }) }))
      if (values.json) printJson(result)
      else {
        console.log(`Exported run ${result.runId} to ${result.dir}:`)
        for (const file of result.files) console.log(`  ${file}`)
        if (result.kept.length > 0) console.log(`Left your own files as they were: ${result.kept.join(', ')}`)
        if (quantize === 'int8') console.log(await int8Summary(join(result.dir, 'onnx', 'metadata.json')))
      }
      return 0
    } finally {
      services.close()
    }
  }
}

/** The int8 figures the export stored in metadata.json, in two lines. */
async function int8Summary(metadataPath: string): Promise<string> {
  const { quantization: q } = JSON.parse(await readFile(metadataPath, 'utf8')) as { quantization?: ExportQuantization }
  if (!q) return 'int8: no quantization figures in metadata.json'
  const pct = (value: number) => `${(value * 100).toFixed(1)} %`
  const size = `int8 model ${(q.int8Bytes / 1e6).toFixed(2)} MB, ${(q.int8Bytes / q.float32Bytes).toFixed(2)}× the float32 one (${(q.float32Bytes / 1e6).toFixed(2)} MB)`
  const test = q.test
    ? `test split (${q.test.images} images): top-1 float32 ${pct(q.test.float32Top1)}, int8 ${pct(q.test.int8Top1)}, same top class ${pct(q.test.agreement)}`
    : 'no labeled test images: int8 not compared with float32'
  return `${size}\n${test}`
}
