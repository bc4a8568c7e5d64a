import { parseArgs } from 'node:util'
import { backupsCommand } from './backups-command'
import { bundleCommand } from './bundle-command'
import { cliServices } from './cli-services'
import type { Command } from './command'
import { datasetCommand } from './dataset-command'
import { evalCommand } from './eval-command'
import { exportCommand } from './export-command'
import { importCommand } from './import-command'
import { issuesCommand } from './issues-command'
import { labelsCommand } from './labels-command'
import { predictCommand } from './predict-command'
import { reportCommand } from './report-command'
import { modelsCommand } from './models-command'
import { runsCommand } from './runs-command'
import { serveCommand } from './serve-command'
import { trainCommand } from './train-command'
import { serveUi } from './ui'
import { cliPath, printJson, unwrap, UsageError } from './output'

export type { Command } from './command'

const ui: Command = {
  name: 'ui',
  usage: 'pictor ui [--project FILE] [--port N]',
  summary: 'serve the app to a browser on 127.0.0.1 (no browser is opened); prints the URL with its token',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { project: { type: 'string' }, port: { type: 'string' } },
      strict: true
    })
    const port = values.port === undefined ? 0 : Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got ${values.port}`)
    return serveUi({ port, ...(values.project ? { project: cliPath(values.project) } : {}) })
  }
}

const create: Command = {
  name: 'create',
  usage: 'pictor create FILE.pictor [--name NAME] [--json]',
  summary: 'create a new, empty project file',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { name: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true
    })
    const [path] = positionals
    if (!path || positionals.length > 1) throw new UsageError('create takes exactly one project file')
    const services = cliServices()
    try {
      const summary = unwrap(await services.call('project.create', { path: cliPath(path), ...(values.name ? { name: values.name } : {}) }))
      if (values.json) printJson(summary)
      else console.log(`Created ${summary.name} at ${summary.path}`)
      return 0
    } finally {
      services.close()
    }
  }
}

const info: Command = {
  name: 'info',
  usage: 'pictor info --project FILE [--json]',
  summary: 'show a project: schema version, images, labels, classes',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { project: { type: 'string' }, json: { type: 'boolean' } },
      strict: true
    })
    if (!values.project) throw new UsageError('info needs --project FILE')
    const path = cliPath(values.project)
    const services = cliServices()
    try {
      const project = unwrap(await services.call('project.open', { path }))
      const library = unwrap(await services.call('library.summary', {}))
      if (values.json) {
        printJson({ project, library, backend: services.info.backend })
        return 0
      }
      console.log(`${project.name}  (${project.path}, schema v${project.schemaVersion}${project.readOnly ? ', read-only' : ''})`)
      console.log(`images: ${library.total}  labeled: ${library.labeled}  unlabeled: ${library.unlabeled}  failed: ${library.failed}`)
      for (const item of library.classes) console.log(`  ${item.name}: ${item.count}`)
      console.log(`training backend: ${services.info.backend.label}`)
      return 0
    } finally {
      services.close()
    }
  }
}

export const COMMANDS: Command[] = [
  ui,
  create,
  info,
  importCommand,
  trainCommand,
  modelsCommand,
  exportCommand,
  datasetCommand,
  bundleCommand,
  labelsCommand,
  predictCommand,
  serveCommand,
  evalCommand,
  reportCommand,
  runsCommand,
  issuesCommand,
  backupsCommand
]
