// Exporting a finished run's whole classifier (for mobilenetv2: backbone + pooling + head) as ONNX
// and/or TF.js layers, each format in its own subfolder with metadata.json and a README.
//
// Safety: every format is first written completely into a hidden staging folder inside `dir` (same
// file system, so the final rename is atomic); only when all formats are staged are they moved into
// place. A failure at any point removes the staging folders, leaving `dir` as it was. An existing
// `<dir>/onnx` or `<dir>/tfjs` is replaced only when it is empty or a previous Pictor export (its
// metadata.json says exportedBy: 'pictor'); anything else is the user's and is refused (ALREADY_EXISTS).
import { access, chmod, constants, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { BackendName, ExportFormat, ExportResult } from '../contract/types'
import { AppError, fromSystemError } from '../core/errors'
import { runWithModel } from '../classifier/run-choice'
import type * as tfl from '@tensorflow/tfjs-layers'
import { loadRunClassifier } from '../classifier/run-classifier'
import { buildMetadata, METADATA_FILE, readOwnMetadata, type ExportMetadata } from '../classifier/model-metadata'
import { exportReadme, pythonSnippet, tfjsSnippet } from './export-readme'
import { ONNX_FILE, writeOnnxModel, writeTfjsModel } from './write-model-files'

export interface ExportRequest {
  runId?: number
  dir: string
  formats: readonly ExportFormat[]
}

export interface ExportOptions {
  modelsDir: string
  pictorVersion: string
  backend?: BackendName | null
  signal?: AbortSignal
  onProgress?: (message: string) => void
}

export const README_FILE = 'README.md'


export async function exportRun(db: Database, request: ExportRequest, options: ExportOptions): Promise<ExportResult> {
  const formats = [...new Set(request.formats)]
  if (formats.length === 0) throw new AppError('INVALID_REQUEST', 'choose at least one format (onnx, tfjs)')
  const run = runWithModel(db, request.runId, 'to export')
  const dir = resolve(request.dir)
  await prepareDestination(dir)
  // Checked before the (slow) model work, and again just before replacing, in case it changed.
  for (const format of formats) await checkReplaceable(join(dir, format))

  options.onProgress?.(`Loading run ${run.id}'s model`)
  const classifier = await loadRunClassifier(db, run.id, { modelsDir: options.modelsDir, backend: options.backend ?? null })
  const staged: { format: ExportFormat; folder: string; files: string[]; metadata: ExportMetadata }[] = []
  try {
    for (const format of formats) {
      options.signal?.throwIfAborted()
      options.onProgress?.(`Writing ${format === 'onnx' ? 'ONNX' : 'TF.js'} model`)
      const folder = await mkdtemp(join(dir, `.pictor-export-${format}-`))
      // mkdtemp makes a private (0700) folder; the export is meant to be shared like any other.
      await chmod(folder, 0o755)
      const metadata = buildMetadata(classifier, format, options.pictorVersion)
      staged.push({ format, folder, files: [], metadata })
      staged.at(-1)!.files = await stageFormat(classifier.model, metadata, folder)
    }
    options.signal?.throwIfAborted()
    const files: string[] = []
    const snippets: NonNullable<ExportResult['snippets']> = []
    for (const { format, folder, files: written, metadata } of staged) {
      await installFolder(folder, join(dir, format))
      files.push(...written.map((file) => `${format}/${file}`))
      snippets.push(
        format === 'onnx'
          ? { format, language: 'python', code: pythonSnippet(metadata, join(dir, format, ONNX_FILE)) }
          : { format, language: 'javascript', code: tfjsSnippet(metadata) }
      )
    }
    return { runId: run.id, dir, files, snippets }
  } catch (error) {
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'the export was cancelled; nothing was written')
    throw fromSystemError(error, `writing into ${dir}`) ?? error
  } finally {
    classifier.dispose()
    await Promise.all(staged.map(({ folder }) => rm(folder, { recursive: true, force: true })))
  }
}

async function stageFormat(model: tfl.LayersModel, metadata: ExportMetadata, folder: string): Promise<string[]> {
  const modelFiles = metadata.format === 'onnx' ? await writeOnnxModel(model, metadata, folder) : await writeTfjsModel(model, metadata, folder)
  await writeFile(join(folder, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`)
  await writeFile(join(folder, README_FILE), exportReadme(metadata))
  return [...modelFiles, METADATA_FILE, README_FILE]
}

/** Creates `dir` if needed and checks it is a folder we can write into. */
async function prepareDestination(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
    if (!(await stat(dir)).isDirectory()) throw new AppError('INVALID_REQUEST', `${dir} is not a folder`)
    await access(dir, constants.W_OK)
  } catch (error) {
    if (error instanceof AppError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new AppError('INVALID_REQUEST', `${dir} is not a folder`)
    throw fromSystemError(error, `the export folder ${dir}`) ?? error
  }
}

/** A missing or empty target, or one holding our own previous export, may be (re)placed. */
async function checkReplaceable(target: string): Promise<void> {
  let entries: string[]
  try {
    if (!(await stat(target)).isDirectory()) throw new AppError('ALREADY_EXISTS', `${target} exists and is not a folder; choose another destination`)
    entries = await readdir(target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if (entries.length === 0 || (await readOwnMetadata(target)) !== null) return
  throw new AppError(
    'ALREADY_EXISTS',
    `${target} already holds files that are not a Pictor export; choose another folder or empty it (Pictor only replaces its own exports)`
  )
}

/** Moves a finished staging folder into place, swapping out a previous export only once the new one is complete. */
async function installFolder(staging: string, target: string): Promise<void> {
  await checkReplaceable(target)
  const old = `${staging}.previous`
  let hadOld = true
  try {
    await rename(target, old)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') throw error
    hadOld = false
  }
  try {
    await rename(staging, target)
  } catch (error) {
    if (hadOld) await rename(old, target).catch(() => {})
    throw error
  }
  if (hadOld) await rm(old, { recursive: true, force: true })
}
