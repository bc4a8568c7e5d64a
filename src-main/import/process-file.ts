import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileErrorFromSystem, FileError } from './file-errors'
import { analyseImage, type AnalysisLimits, type ImageAnalysis } from './image-analysis'
import type { FoundFile } from './walk'

/** One file's result: what the library stores about it, or why it could not be read. */
export type Outcome = { file: FoundFile; analysis: ImageAnalysis; contentHash: string } | { file: FoundFile; error: FileError }

export interface ProcessOptions {
  limits: AnalysisLimits
  maxFileBytes: number
}

/**
 * Reads, hashes and analyses one file (one decode: the thumbnail and the perceptual hash come from
 * the same pixels). Every failure that is the file's own becomes an Outcome with a FileError; the
 * thumbnail is written by the caller, in batches, off this path.
 */
export async function processFile(file: FoundFile, options: ProcessOptions): Promise<Outcome> {
  try {
    if (file.bytes === 0) throw new FileError('EMPTY_FILE', 'the file is empty (0 bytes)')
    if (file.bytes > options.maxFileBytes) {
      throw new FileError('FILE_TOO_BIG', `${(file.bytes / 2 ** 20).toFixed(0)} MiB is over the ${options.maxFileBytes / 2 ** 20} MiB limit`)
    }
    let buffer: Buffer
    try {
      buffer = await readFile(file.absPath)
    } catch (error) {
      throw fileErrorFromSystem(error)
    }
    if (buffer.length === 0) throw new FileError('EMPTY_FILE', 'the file is empty (0 bytes)')
    const contentHash = createHash('sha256').update(buffer).digest('hex')
    const analysis = await analyseImage(buffer, options.limits)
    return { file, analysis, contentHash }
  } catch (error) {
    if (error instanceof FileError) return { file, error }
    return { file, error: new FileError('UNREADABLE', (error as Error)?.message ?? String(error)) }
  }
}

/** Decodes one file somewhere (this thread, or a helper thread); importFolder only awaits it. */
export type Decode = (file: FoundFile, options: ProcessOptions) => Promise<Outcome>

/** An Outcome as it crosses threads: a FileError travels as its code and message. */
export type WireOutcome =
  | { file: FoundFile; analysis: ImageAnalysis; contentHash: string }
  | { file: FoundFile; error: { code: FileError['code']; message: string } }

/** The outcome to post, and the thumbnail's memory to transfer (not copy) with it. */
export function toWire(outcome: Outcome): { wire: WireOutcome; transfer: ArrayBuffer[] } {
  if ('error' in outcome) return { wire: { file: outcome.file, error: { code: outcome.error.code, message: outcome.error.message } }, transfer: [] }
  const { thumbnail } = outcome.analysis
  // sharp's output owns its memory; a pooled Buffer would transfer (and detach) its neighbours too.
  const own = thumbnail.byteOffset === 0 && thumbnail.byteLength === thumbnail.buffer.byteLength
  return { wire: outcome, transfer: own ? [thumbnail.buffer as ArrayBuffer] : [] }
}

export function fromWire(wire: WireOutcome): Outcome {
  if ('error' in wire) return { file: wire.file, error: new FileError(wire.error.code, wire.error.message) }
  const { thumbnail } = wire.analysis
  return { ...wire, analysis: { ...wire.analysis, thumbnail: Buffer.from(thumbnail.buffer, thumbnail.byteOffset, thumbnail.byteLength) } }
}
