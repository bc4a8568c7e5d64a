import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import pkg from '../../package.json'
import { openProjectDatabase } from '../db/connection'
import { DATASET_FORMATS, SPLIT_CHOICES, splitFolders, type DatasetFormat, type SplitChoice } from '../dataset/dataset-plan'
import { exportDataset, type DatasetExportResult } from '../dataset/dataset-export'
import { DEFAULT_SHARD_MB, SHARD_MB } from '../dataset/webdataset-shards'
import type { Command } from './command'
import { cliPath, printJson, UsageError } from './output'
import { runWithProgress } from './progress-line'

const USAGE =
  'pictor dataset export --project FILE --format keras|imagefolder|csv|webdataset --out DIR [--split all|train|val|test] [--copy|--link] [--shard-size MB] [--include-unlabeled] [--json]'

/**
 * `pictor dataset export`: the labeled images as `<split>/<class>/<file>` (hard links where the file
 * system allows), with classes.json, a dataset card, and metadata.jsonl or dataset.csv; or, for
 * webdataset, tar shards of at most --shard-size MiB (default 512). Ctrl+C
 * cancels and leaves nothing behind; progress goes to stderr once an export takes more than a second.
 */
export const datasetCommand: Command = {
  name: 'dataset',
  usage: USAGE,
  summary: "export a project's labeled images as a dataset other tools read (Keras, torchvision, Hugging Face, CSV, WebDataset)",
  async run(args) {
    const [action, ...rest] = args
    if (action !== 'export') throw new UsageError(action === undefined ? 'dataset needs an action: export' : `unknown action "${action}"; the action is export`)
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        project: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        split: { type: 'string', default: 'all' },
        copy: { type: 'boolean' },
        link: { type: 'boolean' },
        'shard-size': { type: 'string' },
        'include-unlabeled': { type: 'boolean' },
        json: { type: 'boolean' }
      },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`)
    if (!values.project) throw new UsageError('dataset export needs --project FILE')
    if (!values.out) throw new UsageError('dataset export needs --out DIR')
    if (!DATASET_FORMATS.includes(values.format as DatasetFormat)) throw new UsageError(`--format must be ${DATASET_FORMATS.join(', ')}, got ${values.format ?? 'nothing'}`)
    if (!SPLIT_CHOICES.includes(values.split as SplitChoice)) throw new UsageError(`--split must be ${SPLIT_CHOICES.join(', ')}, got ${values.split}`)
    if (values.copy && values.link) throw new UsageError('--copy and --link exclude each other')
    const webdataset = values.format === 'webdataset'
    if (webdataset && values.link) throw new UsageError('--link does not apply to webdataset: the images are copied into the tar shards')
    if (!webdataset && values['shard-size'] !== undefined) throw new UsageError('--shard-size applies to --format webdataset only')
    const shardMb = Number(values['shard-size'] ?? DEFAULT_SHARD_MB)
    if (!(shardMb > 0) || !Number.isFinite(shardMb)) throw new UsageError(`--shard-size must be a number of MB above 0, got ${values['shard-size']}`)

    const db = openProjectDatabase(resolve(values.project))
    try {
      const result = await runWithProgress((context) =>
        exportDataset(
          {
            db,
            dir: cliPath(values.out!),
            format: values.format as DatasetFormat,
            split: values.split as SplitChoice,
            mode: values.copy ? 'copy' : values.link ? 'link' : 'auto',
            includeUnlabeled: values['include-unlabeled'] === true,
            pictorVersion: pkg.version,
            shardBytes: Math.max(1, Math.floor(shardMb * SHARD_MB))
          },
          context
        )
      )
      if (values.json) printJson(result)
      else printSummary(result)
      return 0
    } finally {
      db.close()
    }
  }
}

function printSummary(result: DatasetExportResult): void {
  const how = [result.linked > 0 ? `${result.linked} hard-linked` : '', result.copied > 0 ? `${result.copied} copied` : ''].filter(Boolean).join(', ')
  console.log(`Exported ${result.images} images (${result.format}${how ? `; ${how}` : ''}) to ${result.dir}`)
  for (const split of splitFolders(result)) {
    const classes = Object.entries(result.counts[split] ?? {}).map(([name, n]) => `${name} ${n}`)
    const unlabeled = result.unlabeled[split]
    console.log(`  ${split}: ${[...classes, ...(unlabeled ? [`unlabeled ${unlabeled}`] : [])].join(', ')}`)
  }
  if (result.shards) {
    const bytes = result.shards.reduce((sum, shard) => sum + shard.bytes, 0)
    console.log(`  ${result.shards.length} shard${result.shards.length === 1 ? '' : 's'} (${result.shards[0]?.file ?? 'none'}${result.shards.length > 1 ? ` … ${result.shards.at(-1)!.file}` : ''}), ${bytes} bytes`)
  }
  const { failed, missing, unlabeled } = result.leftOut
  const left = [failed ? `${failed} unreadable` : '', missing ? `${missing} missing` : '', unlabeled ? `${unlabeled} unlabeled` : ''].filter(Boolean)
  if (left.length > 0) console.log(`Left out: ${left.join(', ')}`)
}
