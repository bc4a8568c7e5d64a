// Exporting a finished run's whole classifier (for mobilenetv2: backbone + pooling + head) as ONNX
// and/or TF.js layers, each format in its own subfolder with metadata.json and a README.
//
// Safety: every format is first written completely into a hidden staging folder inside `dir` (same
// file system, so renames are atomic); only when all formats are staged are they moved into place,
// each step journaled so a failure at any point puts every folder back as it was (export-folder.ts).
// Pictor replaces only files it wrote itself and that are unchanged since (its manifest in each
// format folder says which, with their SHA-256); the user's other files in the folder stay, and a
// file of the user's in the way is refused (ALREADY_EXISTS) before anything is written.
import { access, chmod, constants, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { BackendName, ExportFormat, ExportResult } from '../contract/types'
import { AppError, fromSystemError } from '../core/errors'
import { runWithModel } from '../classifier/run-choice'
import type * as tfl from '@tensorflow/tfjs-layers'
import { loadRunClassifier, type RunClassifier } from '../classifier/run-classifier'
import { buildMetadata, METADATA_FILE, type ExportMetadata, type MetadataSource } from '../classifier/model-metadata'
import { IMPORTED_MODEL_KIND } from '../contract/run-import'
import { importedExport, writeImportedOnnx } from './imported-model-export'
import { exportReadme, pythonSnippet, tfjsSnippet } from './export-readme'
import { InstallJournal, MANIFEST_FILE, manifestFor, planFolder } from './export-folder'
import { ONNX_FILE, TFJS_MODEL_JSON, TFJS_WEIGHTS, writeOnnxModel, writeTfjsModel } from './write-model-files'
import type { DriftReference } from '../serve/serve-types'
import { driftReferenceForRun, NoReferenceImagesError } from '../serve/drift/reference-for-run'
import { DRIFT_REFERENCE_FILE, writeDriftReference } from '../serve/drift/reference-file'
import { checkQuantizable, writeQuantizedOnnx, type ExportPrecision } from './quantized-onnx'

export interface ExportRequest {
  runId?: number
  dir: string
  formats: readonly ExportFormat[]
  /** 'int8': the ONNX file is quantized (MobileNetV2 runs; see quantized-onnx.ts). Default 'none'. */
  quantize?: ExportPrecision
}

export interface ExportOptions {
  modelsDir: string
  pictorVersion: string
  backend?: BackendName | null
  signal?: AbortSignal
  onProgress?: (message: string) => void
}

export const README_FILE = 'README.md'

/** What each format folder will hold, known before the model is built so a folder in the way is refused early. */
const FORMAT_FILES: Record<ExportFormat, readonly string[]> = {
  onnx: [ONNX_FILE, METADATA_FILE, DRIFT_REFERENCE_FILE, README_FILE, MANIFEST_FILE],
  tfjs: [TFJS_MODEL_JSON, TFJS_WEIGHTS, METADATA_FILE, DRIFT_REFERENCE_FILE, README_FILE, MANIFEST_FILE]
}
const FORMAT_NAMES: Record<ExportFormat, string> = { onnx: 'ONNX', tfjs: 'TF.js' }

export async function exportRun(db: Database, request: ExportRequest, options: ExportOptions): Promise<ExportResult> {
  const formats = [...new Set(request.formats)]
  if (formats.length === 0) throw new AppError('INVALID_REQUEST', 'choose at least one format (onnx, tfjs)')
  const run = runWithModel(db, request.runId, 'to export')
  const int8 = request.quantize === 'int8'
  if (int8 && !formats.includes('onnx')) throw new AppError('INVALID_REQUEST', 'int8 quantization applies to the ONNX format; add --format onnx')
  if (int8 && run.modelKind === IMPORTED_MODEL_KIND) throw new AppError('UNSUPPORTED', 'an imported model cannot be quantized by Pictor; export it without int8')
  const imported = run.modelKind === IMPORTED_MODEL_KIND ? importedExport(db, run.id, formats, options.pictorVersion) : null
  const dir = resolve(request.dir)
  await prepareDestination(dir)
  // Checked before the (slow) model work, and again just before moving in, in case it changed.
  for (const format of formats) await planFolder(join(dir, format), FORMAT_FILES[format])

  options.onProgress?.(`Loading run ${run.id}'s model`)
  const classifier = imported ? null : await loadRunClassifier(db, run.id, { modelsDir: options.modelsDir, backend: options.backend ?? null })
  if (int8) {
    try {
      checkQuantizable(classifier)
    } catch (error) {
      classifier?.dispose()
      throw error
    }
  }
  let drift: DriftReference | null
  try {
    // What `pictor serve --model` compares incoming images with (stored with the run, built on first
    // use). A run whose labeled images are all gone still exports, without one.
    options.onProgress?.(`Drift reference of run ${run.id}`)
    drift = await driftReferenceForRun(db, run.id, {
      modelsDir: options.modelsDir,
      backend: options.backend ?? null,
      ...(classifier ? { classifier } : {}),
      ...(options.signal ? { signal: options.signal } : {})
    }).catch((error: unknown) => {
      if (error instanceof NoReferenceImagesError) return null
      throw error
    })
  } catch (error) {
    classifier?.dispose()
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'the export was cancelled; nothing was written')
    throw error
  }
  const staged: { format: ExportFormat; folder: string; files: string[]; metadata: ExportMetadata }[] = []
  const journal = new InstallJournal()
  let installed = false
  try {
    for (const format of formats) {
      options.signal?.throwIfAborted()
      options.onProgress?.(`Writing ${FORMAT_NAMES[format]} model`)
      const folder = await mkdtemp(join(dir, `.pictor-export-${format}-`))
      // mkdtemp makes a private (0700) folder; the export is meant to be shared like any other.
      await chmod(folder, 0o755)
      const metadata = imported ? imported.metadata : buildMetadata(trainedSource(classifier!), format, options.pictorVersion)
      staged.push({ format, folder, files: [], metadata })
      const writeModel = imported
        ? () => writeImportedOnnx(imported, folder)
        : int8 && format === 'onnx'
          ? () => writeQuantizedOnnx(db, classifier!, metadata, folder, options.onProgress)
          : () => writeTrainedModel(classifier!.model!, metadata, folder)
      staged.at(-1)!.files = await stageFormat(writeModel, metadata, drift, folder)
    }
    options.signal?.throwIfAborted()
    const files: string[] = []
    const kept: string[] = []
    const snippets: NonNullable<ExportResult['snippets']> = []
    for (const { format, folder, files: written, metadata } of staged) {
      options.onProgress?.(`Moving the ${FORMAT_NAMES[format]} files into ${join(dir, format)}`)
      const target = join(dir, format)
      const plan = await planFolder(target, written)
      await journal.install(folder, target, written, plan, `${folder}.previous`)
      files.push(...written.map((file) => `${format}/${file}`))
      kept.push(...plan.kept.map((name) => `${format}/${name}`))
      snippets.push(
        format === 'onnx'
          ? { format, language: 'python', code: pythonSnippet(metadata, join(target, ONNX_FILE)) }
          : { format, language: 'javascript', code: tfjsSnippet(metadata) }
      )
    }
    installed = true
    return { runId: run.id, dir, files, kept, snippets }
  } catch (error) {
    await journal.rollBack()
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'the export was cancelled; nothing was written')
    throw fromSystemError(error, `writing into ${dir}`) ?? error
  } finally {
    classifier?.dispose()
    if (installed) await journal.commit()
    await Promise.all(staged.map(({ folder }) => rm(folder, { recursive: true, force: true })))
  }
}

function writeTrainedModel(model: tfl.LayersModel, metadata: ExportMetadata, folder: string): Promise<string[]> {
  return metadata.format === 'onnx' ? writeOnnxModel(model, metadata, folder) : writeTfjsModel(model, metadata, folder)
}

/** A run trained here: its kind is one Pictor trains (imported runs take importedExport instead). */
function trainedSource(classifier: RunClassifier): MetadataSource {
  if (classifier.kind === IMPORTED_MODEL_KIND) throw new Error(`run ${classifier.runId} is imported, not trained`)
  return { ...classifier, kind: classifier.kind }
}

async function stageFormat(writeModel: () => Promise<string[]>, metadata: ExportMetadata, drift: DriftReference | null, folder: string): Promise<string[]> {
  const modelFiles = await writeModel()
  await writeFile(join(folder, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`)
  const driftFiles = drift ? [await writeDriftReference(folder, drift)] : []
  await writeFile(join(folder, README_FILE), exportReadme(metadata))
  const files = [...modelFiles, METADATA_FILE, ...driftFiles, README_FILE]
  await writeFile(join(folder, MANIFEST_FILE), await manifestFor(folder, files))
  return [...files, MANIFEST_FILE]
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
