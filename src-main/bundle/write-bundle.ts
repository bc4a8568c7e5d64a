// `pictor bundle`: a folder someone copies to a GPU server or a cluster and trains with PyTorch's own
// launcher (torchrun): the project's dataset, Pictor's ImageNet weights, a feature check, the
// training settings and the Python program, with a README of the exact commands. Written into a
// hidden folder beside the destination and renamed into place, as dataset exports are, so a failure
// or a cancel leaves the destination as it was.
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { BundleResult } from '../contract/bundle'
import { AppError, fromSystemError } from '../core/errors'
import { loadDatasetSource } from '../db/queries/dataset-rows'
import { getProject } from '../db/queries/project'
import { loadTrainingExamples } from '../db/queries/training-data'
import type { JobContext } from '../jobs/job'
import { readModelJson } from '../models/tfjs-folder'
import { locateBaseModel } from '../classifier/features/base-model'
import { FeatureExtractor } from '../classifier/features/feature-extractor'
import { exportDataset, requireEmptyDestination, type PlaceMode } from '../dataset/dataset-export'
import { CARD_FILE } from '../dataset/dataset-files'
import { planDataset } from '../dataset/dataset-plan'
import { writeFeatureCheck } from './bundle-check'
import { buildBundleConfig, type BundleDataFormat } from './bundle-config'
import { bundleReadme } from './bundle-readme'
import { PYTHON_FILES, REQUIREMENTS } from './python-sources'

/** Above this many labeled images the dataset goes into WebDataset shards: a few large files copy and read faster than 100k small ones. */
export const WEBDATASET_THRESHOLD = 100_000
/** How many labeled images are tried, in order, for the two check images. */
const CHECK_CANDIDATES = 64

export interface BundleInput {
  db: Database
  projectPath: string
  /** Absolute path of the bundle folder to create (or an empty one to fill). */
  dir: string
  /** Where the installed base model lives (its weights go into the bundle). */
  modelsDir: string
  pictorVersion: string
  format?: BundleDataFormat | 'auto'
  mode?: PlaceMode
}

/** Declared in the contract, so the app's renderer reads the same shape the CLI prints with --json. */
export type { BundleResult }

export async function writeBundle(input: BundleInput, context: JobContext): Promise<BundleResult> {
  const { db, dir } = input
  const { signal } = context
  await requireEmptyDestination(dir)
  // The base model first: without it there is nothing to fine-tune, and nothing should be written.
  let extractor: FeatureExtractor
  try {
    extractor = await FeatureExtractor.load(input.modelsDir)
  } catch (error) {
    if (!(error instanceof AppError)) {
      throw new AppError('INVALID_REQUEST', `the installed MobileNetV2 base model does not load (${(error as Error).message}); reinstall it with \`pictor models fetch --force\``, { cause: error })
    }
    if (error.code !== 'NOT_FOUND') throw error
    throw new AppError('NOT_FOUND', `a bundle carries the MobileNetV2 base model, which is not installed in ${input.modelsDir}; install it with \`pictor models fetch\` or \`pictor models import FILE\``)
  }
  const parent = dirname(dir)
  try {
    const source = loadDatasetSource(db)
    const labeled = planDataset(source, { split: 'all', includeUnlabeled: false }).files.length
    if (labeled === 0) throw new AppError('INVALID_REQUEST', 'the project has no labeled images to train on; label some first')
    const format = input.format && input.format !== 'auto' ? input.format : labeled > WEBDATASET_THRESHOLD ? 'webdataset' : 'imagefolder'
    await mkdir(parent, { recursive: true }).catch((error: unknown) => {
      throw fromSystemError(error, `the folder ${parent}`) ?? error
    })
    const staging = await mkdtemp(join(parent, `.${basename(dir)}.pictor-bundle-`)).catch((error: unknown) => {
      throw fromSystemError(error, `a temporary folder in ${parent}`) ?? error
    })
    try {
      const dataset = await exportDataset(
        { db, dir: join(staging, 'data'), format, split: 'all', mode: format === 'webdataset' ? 'copy' : (input.mode ?? 'auto'), includeUnlabeled: false, pictorVersion: input.pictorVersion },
        context
      )
      context.onProgress({ done: 0, total: null, message: 'copying the base model and checking it' })
      await copyBaseModel(await locateBaseModel(input.modelsDir), join(staging, 'weights'))
      await mkdir(join(staging, 'check'))
      const candidates = loadTrainingExamples(db).examples.slice(0, CHECK_CANDIDATES)
      const check = await writeFeatureCheck(staging, candidates, extractor)
      const classes = dataset.classes.map((entry) => entry.name)
      const config = buildBundleConfig({
        db,
        pictorVersion: input.pictorVersion,
        projectName: getProject(db)?.name ?? basename(input.projectPath),
        format,
        classes,
        trainCounts: classes.map((name) => dataset.counts.train?.[name] ?? 0),
        baseModelVersion: extractor.version,
        check
      })
      await writeFile(join(staging, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
      await writeFile(join(staging, 'requirements.txt'), REQUIREMENTS)
      // The bundle's README: how to run it, then the dataset card the export wrote (counts, splits, duplicates, label origins).
      const card = await readFile(join(staging, 'data', CARD_FILE), 'utf8')
      await writeFile(join(staging, 'README.md'), `${bundleReadme(config, { images: dataset.images, classes: classes.length }, input.projectPath)}\n${shiftHeadings(card)}`)
      for (const [name, text] of Object.entries(PYTHON_FILES)) await writeFile(join(staging, name), text)
      signal.throwIfAborted()
      if (await requireEmptyDestination(dir)) await rmdir(dir)
      await rename(staging, dir)
      return {
        dir,
        format,
        images: dataset.images,
        classes,
        counts: dataset.counts,
        leftOut: dataset.leftOut,
        linked: dataset.linked,
        copied: dataset.copied,
        baseModelVersion: extractor.version,
        settingsFrom: config.pictor.settingsFrom,
        commands: {
          smokeTest: 'python3 train.py --max-images 48 --epochs 1',
          oneMachine: 'torchrun --standalone --nproc_per_node=N train.py',
          bringBack: `pictor runs import --project ${JSON.stringify(input.projectPath)} output/`
        }
      }
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      throw error
    }
  } catch (error) {
    if (signal.aborted) throw new AppError('CANCELLED', `the bundle was cancelled; nothing was written to ${dir}`)
    if (error instanceof AppError) throw error
    throw fromSystemError(error, dir) ?? error
  } finally {
    extractor.dispose()
  }
}

/** model.json and its shards, byte for byte: train.py reads the TF.js manifest itself. */
async function copyBaseModel(modelJsonPath: string, target: string): Promise<void> {
  const folder = dirname(modelJsonPath)
  const json = await readModelJson(folder)
  await mkdir(target)
  for (const file of ['model.json', ...json.weightsManifest.flatMap((group) => group.paths)]) await copyFile(join(folder, file), join(target, file))
}

/** The card's headings one level down, so it reads as a section of the bundle's README. */
function shiftHeadings(markdown: string): string {
  return markdown.replace(/^(#{1,5}) /gm, '#$1 ')
}
