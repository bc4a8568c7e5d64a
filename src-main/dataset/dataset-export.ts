// `pictor dataset export`: a project's labeled images as a folder tree other tools read unchanged
// (or, for webdataset, as tar shards).
// Everything is written into a hidden folder beside the destination and renamed into place at the
// end, so a failure or a cancel leaves the destination as it was (absent or empty), never half-written.
import { constants } from 'node:fs'
import { copyFile, link, lstat, mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { AppError, fromSystemError } from '../core/errors'
import { loadDatasetSource } from '../db/queries/dataset-rows'
import { getProject } from '../db/queries/project'
import type { JobContext } from '../jobs/job'
import { datasetCard } from './dataset-card'
import { textFiles } from './dataset-files'
import { planDataset, type DatasetFormat, type DatasetPlan, type PlannedFile, type SplitChoice } from './dataset-plan'
import { DEFAULT_SHARD_MB, SHARD_MB, writeShards, type ShardInfo } from './webdataset-shards'

/** auto: hard links where the file system allows, copies elsewhere; link: hard links or fail; copy: always copies. */
export type PlaceMode = 'auto' | 'link' | 'copy'

export interface DatasetExportInput {
  db: Database
  /** Absolute path of the folder to create (or an empty one to fill). */
  dir: string
  format: DatasetFormat
  split: SplitChoice
  mode: PlaceMode
  includeUnlabeled: boolean
  pictorVersion: string
  /** webdataset: the most bytes a shard may hold (default 512 MiB); one larger image gets a shard of its own. */
  shardBytes?: number
}

export interface DatasetExportResult {
  format: DatasetFormat
  dir: string
  split: SplitChoice
  images: number
  linked: number
  copied: number
  classes: DatasetPlan['classes']
  counts: DatasetPlan['counts']
  unlabeled: DatasetPlan['unlabeled']
  leftOut: DatasetPlan['leftOut']
  /** webdataset only: each shard at the top of `dir`, in the order written. */
  shards?: ShardInfo[]
}

/** Link errors after which a copy is the way: another file system, or one without hard links. */
const COPY_INSTEAD = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'])

export async function exportDataset(input: DatasetExportInput, { signal, onProgress }: JobContext): Promise<DatasetExportResult> {
  const { dir } = input
  await requireEmptyDestination(dir)
  const plan = planDataset(loadDatasetSource(input.db), { split: input.split, includeUnlabeled: input.includeUnlabeled })
  const parent = dirname(dir)
  await mkdir(parent, { recursive: true }).catch((error: unknown) => {
    throw fromSystemError(error, `the folder ${parent}`) ?? error
  })
  const staging = await mkdtemp(join(parent, `.${basename(dir)}.pictor-dataset-`)).catch((error: unknown) => {
    throw fromSystemError(error, `a temporary folder in ${parent}`) ?? error
  })
  try {
    const placed = { linked: 0, copied: 0 }
    let vanished: PlannedFile[] = []
    let shards: ShardInfo[] | undefined
    if (input.format === 'webdataset') {
      ;({ shards, vanished } = await writeShards(staging, plan, input.shardBytes ?? DEFAULT_SHARD_MB * SHARD_MB, signal, onProgress))
      placed.copied = plan.files.length - vanished.length
    } else {
      const noLinks = new Set<string>()
      const made = new Set<string>()
      onProgress({ done: 0, total: plan.files.length, message: 'writing images' })
      for (const [index, file] of plan.files.entries()) {
        signal.throwIfAborted()
        const target = join(staging, ...file.path.split('/'))
        const folder = dirname(target)
        if (!made.has(folder)) await mkdir(folder, { recursive: true })
        made.add(folder)
        const how = await place(file, target, input.mode, noLinks)
        if (how === 'vanished') vanished.push(file)
        else placed[how]++
        onProgress({ done: index + 1, total: plan.files.length, message: 'writing images' })
      }
    }
    const written = withoutVanished(plan, vanished)
    const card = datasetCard(written, {
      projectName: getProject(input.db)?.name ?? 'Pictor project',
      format: input.format,
      split: input.split,
      exportedAt: new Date().toISOString(),
      pictorVersion: input.pictorVersion,
      shards
    })
    for (const [path, text] of Object.entries(textFiles(input.format, written, card))) await writeFile(join(staging, ...path.split('/')), text)
    signal.throwIfAborted()
    // Checked again: the folder may have been filled while the images were written.
    if (await requireEmptyDestination(dir)) await rmdir(dir)
    await rename(staging, dir)
    const { classes, counts, unlabeled, leftOut } = written
    return { format: input.format, dir, split: input.split, images: written.files.length, ...placed, classes, counts, unlabeled, leftOut, ...(shards ? { shards } : {}) }
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    if (signal.aborted) throw new AppError('CANCELLED', `the dataset export was cancelled; nothing was written to ${dir}`)
    if (error instanceof AppError) throw error
    throw fromSystemError(error, dir) ?? error
  }
}

/**
 * Refuses a destination that is a file or a folder holding anything (ALREADY_EXISTS, changing
 * nothing): a dataset export never mixes its images with other files. Answers whether an empty
 * folder is there (false: nothing is).
 */
export async function requireEmptyDestination(dir: string): Promise<boolean> {
  const info = await lstat(dir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw fromSystemError(error, dir) ?? error
  })
  if (info === null) return false
  if (!info.isDirectory()) throw new AppError('ALREADY_EXISTS', `${dir} exists and is not a folder; give a new or empty folder for the dataset`)
  const entries = await readdir(dir)
  if (entries.length > 0) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? `, … (${entries.length} entries)` : '')
    throw new AppError('ALREADY_EXISTS', `${dir} is not empty (${shown}); a dataset export goes into a new or empty folder, so give another one`)
  }
  return true
}

/** Hard-links or copies one image; 'vanished' when its file has gone since the project last looked. */
async function place(file: PlannedFile, target: string, mode: PlaceMode, noLinks: Set<string>): Promise<'linked' | 'copied' | 'vanished'> {
  const root = file.row.root
  try {
    if (mode !== 'copy' && !noLinks.has(root)) {
      try {
        await link(file.source, target)
        return 'linked'
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? ''
        if (mode === 'link' && COPY_INSTEAD.has(code)) {
          throw new AppError('UNSUPPORTED', `cannot hard-link ${file.source} into the export (${code}: another file system, or one without hard links); leave out --link to copy instead`)
        }
        if (!COPY_INSTEAD.has(code)) throw error
        noLinks.add(root)
      }
    }
    await copyFile(file.source, target, constants.COPYFILE_EXCL)
    return 'copied'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(file.source))) return 'vanished'
    throw fromSystemError(error, file.source) ?? error
  }
}

const exists = (path: string) => lstat(path).then(() => true, () => false)

/** The plan less the images whose files were gone: they count as missing, like those the project already knew were. */
function withoutVanished(plan: DatasetPlan, vanished: readonly PlannedFile[]): DatasetPlan {
  if (vanished.length === 0) return plan
  const gone = new Set(vanished)
  const counts = structuredClone(plan.counts)
  const unlabeled = { ...plan.unlabeled }
  for (const file of vanished) {
    if (file.label === null) unlabeled[file.split]! -= 1
    else counts[file.split]![file.label]! -= 1
  }
  const leftOut = { ...plan.leftOut, missing: plan.leftOut.missing + vanished.length }
  return { ...plan, files: plan.files.filter((file) => !gone.has(file)), counts, unlabeled, leftOut }
}
