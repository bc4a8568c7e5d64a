// The dataset card (README.md) written into every dataset export: what is in it, how many of each
// class in each split, where the labels and the splits came from, and what was left out.
import type { LabelOrigin } from '../db/queries/dataset-rows'
import type { DatasetFormat, DatasetPlan, SplitChoice } from './dataset-plan'
import { splitFolders, UNLABELED, UNSPLIT } from './dataset-plan'
import { CLASSES_FILE, CSV_FILE, METADATA_FILE } from './dataset-files'
import { datasetStats } from './dataset-stats'
import type { ShardInfo } from './webdataset-shards'

export interface CardContext {
  projectName: string
  format: DatasetFormat
  split: SplitChoice
  exportedAt: string
  pictorVersion: string
  /** The webdataset format's shards, in the order written. */
  shards?: readonly ShardInfo[]
}

export const SPLIT_ORIGINS: Record<string, string> = {
  folder: 'taken from a train/, val/ or test/ folder the images were imported from',
  auto: "assigned by Pictor's seeded split assignment (near-duplicates kept in one split)",
  user: 'set by hand in Pictor'
}

/** Who decided a label, as the card says it (label_origin in metadata.jsonl and dataset.csv). */
export const LABEL_ORIGINS: Record<LabelOrigin, string> = {
  folder: 'the import folder',
  user: 'a person',
  model: 'a model suggestion accepted',
  import: 'an imported label file (pictor labels import)'
}

const LAYOUT: Record<DatasetFormat, string> = {
  keras: 'the folder tree alone (Keras `image_dataset_from_directory`, torchvision `ImageFolder`, Ultralytics classify)',
  imagefolder: `the folder tree plus \`${METADATA_FILE}\` in each split folder (Hugging Face \`imagefolder\`): file_name, label, split, sha256, width, height, label_origin, label_issue_score`,
  csv: `the folder tree plus \`${CSV_FILE}\`: path, label, split, sha256, label_origin (RFC 4180, UTF-8)`,
  webdataset:
    'WebDataset tar shards (`webdataset`, or any tar reader): each image is `<key>.<ext>` (the original bytes), `<key>.cls` (its class index in `classes.json`, decimal) and `<key>.json` (label, split, sha256, width, height, label_origin, label_issue_score, file_name), adjacent in one shard'
}

/** `train-{000000..000003}.tar` for each group of shards, with its images and size. */
function shardLines(shards: readonly ShardInfo[]): string[] {
  const groups = new Map<string, ShardInfo[]>()
  for (const shard of shards) {
    const group = shard.file.replace(/-\d+\.tar$/, '')
    groups.set(group, [...(groups.get(group) ?? []), shard])
  }
  return [...groups].map(([group, members]) => {
    const first = members[0]!.file.slice(group.length + 1, -4)
    const last = members.at(-1)!.file.slice(group.length + 1, -4)
    const pattern = members.length === 1 ? members[0]!.file : `${group}-{${first}..${last}}.tar`
    const bytes = members.reduce((sum, shard) => sum + shard.bytes, 0)
    return `- \`${pattern}\`: ${images(members.reduce((sum, shard) => sum + shard.images, 0))} in ${members.length} shard${members.length === 1 ? '' : 's'}, ${bytes} bytes.`
  })
}

/** '1 image', '2 images'. */
const images = (n: number) => `${n} image${n === 1 ? '' : 's'}`

export function datasetCard(plan: DatasetPlan, context: CardContext): string {
  const splits = splitFolders(plan)
  const header = `| class | folder | ${splits.join(' | ')} | total |\n|---|---|${splits.map(() => '---:|').join('')}---:|`
  const classRows = plan.classes.map((entry) => {
    const cells = splits.map((split) => plan.counts[split]?.[entry.name] ?? 0)
    return `| ${entry.name.replaceAll('|', '\\|')} | \`${entry.folder}\` | ${cells.join(' | ')} | ${cells.reduce((a, b) => a + b, 0)} |`
  })
  const unlabeledCells = splits.map((split) => plan.unlabeled[split] ?? 0)
  if (unlabeledCells.some((n) => n > 0)) classRows.push(`| (unlabeled) | \`${UNLABELED}\` | ${unlabeledCells.join(' | ')} | ${unlabeledCells.reduce((a, b) => a + b, 0)} |`)

  const { labelOrigins: origins, splitOrigins, exactDuplicateGroups: duplicateGroups, flagged } = datasetStats(plan.files.map((file) => file.row))
  const { failed, missing, unlabeled, otherSplits } = plan.leftOut

  const lines = [
    `# ${context.projectName}: image classification dataset`,
    '',
    `Exported by Pictor ${context.pictorVersion} on ${context.exportedAt} as \`${context.format}\`` +
      `${context.split === 'all' ? '' : ` (the ${context.split} split only)`}: ${images(plan.files.length)} in ${plan.classes.length} classes.`,
    `Readers: ${LAYOUT[context.format]}.` +
      (context.format === 'webdataset' ? ` Shards are \`<split>-NNNNNN.tar\`${plan.files.some((file) => file.label === null) ? ` (unlabeled images, without .cls, in \`${UNLABELED}-NNNNNN.tar\`)` : ''}:` : ' Images are at `<split>/<class folder>/<file>`.'),
    ...(context.format === 'webdataset' ? ['', ...shardLines(context.shards ?? [])] : []),
    '',
    `\`${CLASSES_FILE}\` maps each folder back to its exact class name and gives the class order Pictor trains in` +
      ' (index 0 first). Readers that sort folders alphabetically may number the classes differently.',
    '',
    '## Images per class and split',
    '',
    header,
    ...classRows,
    '',
    '## Where labels and splits came from',
    '',
    `- Labels: ${[...origins].map(([origin, n]) => `${n} ${origin === 'none' ? 'unlabeled' : `from ${LABEL_ORIGINS[origin]}`}`).join(', ') || 'none'}.`,
    ...[...splitOrigins].map(([origin, n]) => `- ${images(n)}: split ${SPLIT_ORIGINS[origin] ?? `never assigned (labeled ones are in \`${UNSPLIT}/\`)`}.`),
    `- Exact duplicates (same SHA-256): ${duplicateGroups.length === 0 ? 'none' : `${duplicateGroups.length} groups, ${images(duplicateGroups.reduce((a, b) => a + b, 0))}`}.`,
    `- Known issues: ${flagged === 0 ? 'no image flagged by a label-issue scan' : `${images(flagged)} flagged by Pictor's label-issue scan as possibly mislabeled (label_issue_score in the imagefolder format's ${METADATA_FILE}: the scan's confidence in the given label, lower is more suspicious)`}.`,
    '',
    '## Left out',
    '',
    `- ${images(failed)} that could not be read at import and ${missing} whose file has gone missing.`,
    ...(unlabeled > 0 ? [`- ${images(unlabeled)} without a label (export with --include-unlabeled to have them in \`${UNLABELED}/\`).`] : []),
    ...(otherSplits > 0 ? [`- ${images(otherSplits)} of other splits.`] : []),
    ...(context.format === 'webdataset' ? [] : ['', 'The images may be hard links to the originals (the default on one file system): edit a copy, not these files.']),
    ''
  ]
  return lines.join('\n')
}
