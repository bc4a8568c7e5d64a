import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runWithModel } from '../classifier/run-choice'
import { defaultDataDir } from '../core/data-dir'
import { openProjectDatabase } from '../db/connection'
import { modelsDirectory } from '../models/base-model-store'
import { loadServeModel, type ServeSource } from '../serve/serve-model'
import { isLoopback, SERVE_DEFAULTS, startModelServer, type StartServerOptions } from '../serve/start-server'
import { DriftMonitor } from '../serve/drift/drift-monitor'
import { readDriftReference } from '../serve/drift/reference-file'
import { driftReferenceForRun } from '../serve/drift/reference-for-run'
import { createServeMetrics } from '../serve/serve-metrics'
import type { DriftReference } from '../serve/serve-types'
import type { Command } from './command'
import { cliPath, UsageError } from './output'

/**
 * `pictor serve`: one model behind the Open Inference Protocol (/v2), TF Serving's REST API (/v1),
 * POST /predict and /metrics, until Ctrl+C or SIGTERM, which answer the requests in flight first
 * and exit 0. Prints the URL and a curl example on stdout.
 */
export const serveCommand: Command = {
  name: 'serve',
  usage:
    'pictor serve (--model EXPORT_DIR|MODEL.onnx | --project FILE [--run ID]) [--name NAME] [--host 127.0.0.1] [--port 8500] ' +
    '[--max-batch 32] [--batch-delay-ms 5] [--token TOKEN] [--insecure]',
  summary: 'serve a model over HTTP (KServe v2 / Open Inference Protocol, TF Serving REST, /predict, /metrics)',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        model: { type: 'string' },
        project: { type: 'string' },
        run: { type: 'string' },
        name: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'max-batch': { type: 'string' },
        'batch-delay-ms': { type: 'string' },
        token: { type: 'string' },
        insecure: { type: 'boolean' }
      },
      strict: true
    })
    if (Boolean(values.project) === Boolean(values.model)) throw new UsageError('serve needs either --model EXPORT_DIR|MODEL.onnx or --project FILE')
    if (values.run !== undefined && !values.project) throw new UsageError('--run goes with --project')
    const runId = values.run === undefined ? undefined : wholeNumber(values.run, '--run', 1, Number.MAX_SAFE_INTEGER)
    const host = values.host ?? SERVE_DEFAULTS.host
    // The token may come from the environment so that it does not show in the process list.
    const token = values.token ?? (process.env.PICTOR_SERVE_TOKEN || undefined)
    const options = {
      host,
      port: values.port === undefined ? SERVE_DEFAULTS.port : wholeNumber(values.port, '--port', 0, 65535),
      maxBatch: values['max-batch'] === undefined ? SERVE_DEFAULTS.maxBatch : wholeNumber(values['max-batch'], '--max-batch', 1, 1024),
      batchDelayMs: values['batch-delay-ms'] === undefined ? SERVE_DEFAULTS.batchDelayMs : wholeNumber(values['batch-delay-ms'], '--batch-delay-ms', 0, 10_000),
      token: token ?? null,
      insecure: values.insecure ?? false
    }
    // Refused before the model loads (a MobileNetV2 run takes seconds).
    if (!isLoopback(host) && !token && !options.insecure) {
      throw new UsageError(`--host ${host} lets other machines use the model: add --token TOKEN (or PICTOR_SERVE_TOKEN), or --insecure`)
    }
    const source: ServeSource = values.model ? { model: cliPath(values.model) } : { project: cliPath(values.project!), ...(runId ? { runId } : {}) }

    const modelsDir = modelsDirectory(defaultDataDir())
    const model = await loadServeModel(source, { modelsDir, ...(values.name ? { name: values.name } : {}) })
    let server
    try {
      server = await startModelServer({ model, ...options, ...(await monitoring(source, modelsDir)) })
    } catch (error) {
      model.dispose()
      throw error
    }
    const auth = token ? ' -H "Authorization: Bearer $TOKEN"' : ''
    console.log(`Serving model "${server.name}" at ${server.url} (/v2/models/${server.name}/infer, /v1/models/${server.name}:predict, /predict, /metrics); Ctrl+C stops`)
    console.log(`Try: curl${auth} --data-binary @photo.jpg ${server.url}/predict`)

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'))
      process.once('SIGTERM', () => resolve('SIGTERM'))
    })
    process.stderr.write(`${signal}: answering the requests in flight, then stopping…\n`)
    await server.close()
    process.stderr.write(`Stopped after ${server.stats().requests} requests.\n`)
    return 0
  }
}

/**
 * Prometheus metrics always; drift where the model has a reference: a project's run gets its stored
 * one (built from its labeled images and stored on first use), an export the drift-reference.json
 * written beside it. A model without one is still served, and /v2/models/{name}/drift says why not.
 */
async function monitoring(source: ServeSource, modelsDir: string): Promise<Pick<StartServerOptions, 'metrics' | 'drift' | 'reference'>> {
  const metrics = createServeMetrics()
  let reference: DriftReference | null = null
  try {
    reference = 'model' in source ? await readDriftReference(source.model) : await runReference(source, modelsDir)
  } catch (error) {
    process.stderr.write(`Serving without drift detection: ${(error as Error).message.split('\n')[0]}\n`)
  }
  return { metrics, reference, drift: reference ? new DriftMonitor(reference) : null }
}

async function runReference(source: { project: string; runId?: number }, modelsDir: string): Promise<DriftReference> {
  const db = openProjectDatabase(source.project)
  try {
    const run = runWithModel(db, source.runId, 'to serve')
    return await driftReferenceForRun(db, run.id, { modelsDir, cacheDir: join(defaultDataDir(), 'cache') })
  } finally {
    db.close()
  }
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${flag} must be a whole number ${min}-${max}, got ${text}`)
  return value
}
