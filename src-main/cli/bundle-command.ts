import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import pkg from '../../package.json'
import { openProjectDatabase } from '../db/connection'
import { modelsDirectory } from '../models/base-model-store'
import { writeBundle, type BundleResult } from '../bundle/write-bundle'
import type { Command } from './command'
import { cliPath, printJson, UsageError } from './output'
import { runWithProgress } from './progress-line'

const FORMATS = ['auto', 'imagefolder', 'webdataset'] as const
const USAGE = 'pictor bundle --project FILE --out DIR [--format auto|imagefolder|webdataset] [--copy] [--json]'

/**
 * `pictor bundle`: a folder to train the project's MobileNetV2 on a GPU server or cluster with PyTorch
 * (`torchrun … train.py`), whose model comes back with `pictor runs import`. The dataset is hard-linked
 * where it can be (--copy copies); auto picks WebDataset shards above 100,000 images.
 */
export const bundleCommand: Command = {
  name: 'bundle',
  usage: USAGE,
  summary: 'write a folder that trains the project on a GPU server or cluster with PyTorch (torchrun train.py)',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { project: { type: 'string' }, out: { type: 'string' }, format: { type: 'string', default: 'auto' }, copy: { type: 'boolean' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`)
    if (!values.project) throw new UsageError('bundle needs --project FILE')
    if (!values.out) throw new UsageError('bundle needs --out DIR')
    const format = values.format as (typeof FORMATS)[number]
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be ${FORMATS.join(', ')}, got ${values.format}`)

    const projectPath = resolve(values.project)
    const db = openProjectDatabase(projectPath)
    try {
      const result = await runWithProgress((context) =>
        writeBundle({ db, projectPath, dir: cliPath(values.out!), modelsDir: modelsDirectory(), pictorVersion: pkg.version, format, mode: values.copy ? 'copy' : 'auto' }, context)
      )
      if (values.json) printJson(result)
      else printSummary(result)
      return 0
    } finally {
      db.close()
    }
  }
}

function printSummary(result: BundleResult): void {
  console.log(`Wrote a training bundle to ${result.dir}: ${result.images} images in ${result.classes.length} classes (${result.format}), settings from ${result.settingsFrom}.`)
  console.log('Next, there (README.md has the rest, several machines included):')
  console.log(`  ${result.commands.smokeTest}`)
  console.log(`  ${result.commands.oneMachine}`)
  console.log('Then, here:')
  console.log(`  ${result.commands.bringBack}`)
}
