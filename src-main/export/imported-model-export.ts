// Exporting an imported run (`runs import`): its ONNX graph goes out as it came in, with Pictor's
// metadata written into metadata_props (and metadata.json beside it, as for any export), so
// `pictor predict --model` and other tools read it like a model Pictor trained. There is no TF.js
// model to write: that format is refused before anything is written.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { ExportFormat } from '../contract/types'
import { AppError } from '../core/errors'
import { loadRunOnnxModel } from '../db/queries/run-onnx-models'
import { onnxMetadataProps, type ExportMetadata } from '../classifier/model-metadata'
import type { ImportedModelMetadata } from '../classifier/onnx-import-source'
import { withMetadataProps } from '../onnx/onnx-inspect'
import { ONNX_FILE } from './write-model-files'

export interface ImportedExport {
  metadata: ExportMetadata
  bytes: Uint8Array
}

export function importedExport(db: Database, runId: number, formats: readonly ExportFormat[], pictorVersion: string, now = new Date()): ImportedExport {
  if (formats.includes('tfjs')) {
    throw new AppError('UNSUPPORTED', `run ${runId} is an imported ONNX model: it exports as ONNX only (there is no TF.js model to write); use --format onnx`)
  }
  const stored = loadRunOnnxModel<ImportedModelMetadata>(db, runId)
  if (!stored) throw new AppError('INVALID_REQUEST', `run ${runId} has no imported model`)
  const { labels, input, preprocessing, modelKind, baseModelVersion } = stored.metadata
  const metadata: ExportMetadata = {
    format: 'onnx',
    exportedBy: 'pictor',
    pictorVersion,
    runId,
    modelKind,
    labels,
    input,
    preprocessing,
    output: 'probabilities',
    outputName: 'output',
    baseModelVersion,
    createdAt: now.toISOString()
  }
  return { metadata, bytes: stored.onnx }
}

/** The imported graph with Pictor's metadata_props in place of whatever it carried. */
export async function writeImportedOnnx({ metadata, bytes }: ImportedExport, folder: string): Promise<string[]> {
  await writeFile(join(folder, ONNX_FILE), withMetadataProps(bytes, onnxMetadataProps(metadata)))
  return [ONNX_FILE]
}
