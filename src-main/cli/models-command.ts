import { parseArgs } from 'node:util'
import { AppError } from '../core/errors'
import { BaseModelStore, modelsDirectory, type InstallResult, type ModelProgress, type ModelStatus } from '../models/base-model-store'
import type { Command } from './command'
import { cliPath, CliFailure, printJson, UsageError } from './output'

const PHASES: Record<ModelProgress['phase'], string> = {
  download: 'downloading',
  read: 'reading',
  verify: 'checking',
  install: 'installing'
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}

/** Progress on stderr: one rewritten line on a terminal, a line per phase and per 10% otherwise. */
function progressPrinter(): { onProgress: (progress: ModelProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true
  let last = ''
  let open = false
  return {
    onProgress({ phase, done, total }) {
      const percent = total ? Math.floor((done / total) * 100) : null
      const amount = phase === 'download' ? ` ${megabytes(done)}${total ? ` of ${megabytes(total)}` : ''}` : ''
      const line = `${PHASES[phase]}${percent === null ? '' : ` ${percent}%`}${amount}`
      const key = tty ? line : `${phase} ${percent === null ? '' : Math.floor(percent / 10)}`
      if (key === last) return
      last = key
      if (tty) {
        process.stderr.write(`\r\x1b[2K${line}`)
        open = true
      } else process.stderr.write(`${line}\n`)
    },
    end() {
      if (open) process.stderr.write('\n')
      open = false
    }
  }
}

function printStatus(status: ModelStatus): void {
  if (status.installed) {
    console.log(`${status.id}  installed  ${megabytes(status.bytes)}  ${status.version}`)
    console.log(`  ${status.path}`)
  } else if (status.problem) {
    console.log(`${status.id}  damaged: ${status.problem}`)
    console.log(`  ${status.path} — reinstall with \`pictor models fetch --force\` or \`pictor models import FILE --force\``)
  } else {
    console.log(`${status.id}  not installed — \`pictor models fetch\`, or offline \`pictor models import FILE\``)
  }
}

function printInstalled(result: InstallResult): void {
  console.log(`Installed ${result.id} (${result.version}) at ${result.path}`)
  if (result.source.sha256) console.log(`  SHA-256 of ${result.source.location}: ${result.source.sha256}`)
}

/**
 * `pictor models`: the base models (pretrained MobileNetV2 weights) kept in `$PICTOR_MODELS_DIR` or
 * `<data dir>/models`. The repository ships no weights; `fetch` downloads the official Keras file and
 * `import` installs one from disk (a `.h5` or a TF.js layers folder), for machines without internet.
 */
export const modelsCommand: Command = {
  name: 'models',
  usage: 'pictor models [list] [--json] | pictor models import PATH [--force] [--json] | pictor models fetch [--force] [--url URL] [--json]',
  summary: 'list, download (fetch) or import from disk the pretrained base models used for fine-tuning',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, force: { type: 'boolean' }, url: { type: 'string' } },
      allowPositionals: true,
      strict: true
    })
    const [action = 'list', ...rest] = positionals
    const store = new BaseModelStore(modelsDirectory())
    if (action !== 'fetch' && values.url !== undefined) throw new UsageError('--url only applies to `models fetch`')
    if (action === 'list') {
      if (rest.length > 0) throw new UsageError('models list takes no arguments')
      const statuses = await guarded(() => store.list())
      if (values.json) printJson({ dir: store.dir, models: statuses })
      else {
        console.log(`Base models in ${store.dir}`)
        statuses.forEach(printStatus)
      }
      return 0
    }
    if (action !== 'import' && action !== 'fetch') throw new UsageError(`unknown models action "${action}" (list, import, fetch)`)
    if (action === 'import' && rest.length !== 1) throw new UsageError('models import takes exactly one .h5 file or TF.js folder')
    if (action === 'fetch' && rest.length > 0) throw new UsageError('models fetch takes no arguments')

    const progress = progressPrinter()
    const controller = new AbortController()
    const cancel = () => controller.abort()
    process.once('SIGINT', cancel)
    process.once('SIGTERM', cancel)
    try {
      const options = { force: values.force ?? false, signal: controller.signal, onProgress: progress.onProgress }
      const result = await guarded(() =>
        action === 'import' ? store.import(cliPath(rest[0]!), options) : store.fetch(undefined, { ...options, ...(values.url ? { url: values.url } : {}) })
      )
      progress.end()
      if (values.json) printJson(result)
      else printInstalled(result)
      return 0
    } finally {
      progress.end()
      process.off('SIGINT', cancel)
      process.off('SIGTERM', cancel)
    }
  }
}

/** Store errors become one line on stderr (`CODE: message`) and exit status 1. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof AppError) throw new CliFailure(`${error.code}: ${error.message}`)
    throw error
  }
}
