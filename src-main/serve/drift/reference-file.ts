// drift-reference.json: a run's DriftReference written into each export format folder beside
// metadata.json, so `pictor serve --model EXPORT_DIR` can watch for drift without the project.
import { readFile, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { AppError, fromSystemError } from '../../core/errors'
import type { DriftReference } from '../serve-types'
import { parseDriftReference } from './drift-reference'

export const DRIFT_REFERENCE_FILE = 'drift-reference.json'

export async function writeDriftReference(folder: string, reference: DriftReference): Promise<string> {
  // One line: the arrays are long, and nobody reads them by eye.
  await writeFile(join(folder, DRIFT_REFERENCE_FILE), `${JSON.stringify(reference)}\n`)
  return DRIFT_REFERENCE_FILE
}

/**
 * The reference of an export: `path` is a format folder (onnx/, tfjs/), the export folder above
 * them, or a model file in a format folder. null when there is none (an export from before drift
 * references); an AppError when the file is there but is not a valid reference.
 */
export async function readDriftReference(path: string): Promise<DriftReference | null> {
  const folder = (await isFile(path)) ? dirname(path) : path
  for (const candidate of [folder, join(folder, 'onnx'), join(folder, 'tfjs')]) {
    const file = join(candidate, DRIFT_REFERENCE_FILE)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') continue
      throw fromSystemError(error, file) ?? error
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new AppError('INVALID_REQUEST', `${file} is not JSON`)
    }
    const parsed = parseDriftReference(json)
    if (!parsed.ok) throw new AppError('INVALID_REQUEST', `${basename(file)} in ${candidate} is not a drift reference (${parsed.message})`)
    return parsed.reference
  }
  return null
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
