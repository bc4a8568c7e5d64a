import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import type { Database } from 'better-sqlite3'
import { AppError } from '../core/errors'
import { withJobDatabase } from '../db/connection'
import { classStatements } from '../db/queries/classes'
import {
  imageWriteStatements,
  loadContentHashes,
  loadSourceIndex,
  sourceImageCounts,
  type ImageRecord
} from '../db/queries/images'
import { finishImportRun, importRunStatus, startImportRun } from '../db/queries/import-runs'
import { labelStatements } from '../db/queries/labels'
import { ensureSource, markSourceScanned } from '../db/queries/sources'
import { writeTransaction } from '../db/transaction'
import type { JobContext } from '../jobs/job'
import { FileError } from './file-errors'
import { interpretPath } from './folder-layout'
import { DEFAULT_LIMITS, type AnalysisLimits } from './image-analysis'
import { emptyReport, type ImportReport } from './import-report'
import { processFile, type Decode, type Outcome } from './process-file'
import { ThumbnailStore } from './thumbnail-store'
import { ThumbnailWrites } from './thumbnail-writes'
import { walkFolder } from './walk'

export interface ImportInput {
  projectPath: string
  folder: string
  thumbnailDir: string
  /** Files in flight at once; sharp decodes on libuv's pool, so this is what uses every core. */
  concurrency?: number
  limits?: AnalysisLimits
  /** Files larger than this are refused unread (default 512 MiB). */
  maxFileBytes?: number
  /** Follow symbolic links that leave `folder` (default: report them as LINK_OUTSIDE and stay inside). */
  followLinks?: boolean
}

/**
 * Results are committed in batches: one transaction per batch keeps 100k-image imports fast. Each
 * batch holds the project's write lock only while its rows are inserted (a few milliseconds):
 * reading, hashing, decoding and thumbnailing all happen before, outside any transaction, so the
 * app's label writes never wait long behind an import.
 */
const BATCH_SIZE = 256
const BATCH_MAX_MS = 1000

/**
 * Imports (or re-scans) one folder into a project. Incremental: unchanged files are not read again,
 * changed ones are re-read in place, vanished ones are marked missing. Safe to kill at any moment:
 * every batch is one transaction, so a re-run finds the committed files unchanged and does the rest.
 * `decode` reads and analyses one file: on this thread by default, on helper threads when the
 * import worker supplies them (workers/import-decoders.ts); rows and thumbnails stay on this one.
 */
export async function importFolder(input: ImportInput, { signal, onProgress }: JobContext, decode: Decode = processFile): Promise<ImportReport> {
  const started = Date.now()
  const folder = resolve(input.folder)
  const report = emptyReport(folder)
  onProgress({ done: 0, total: null, message: `Scanning ${folder}…` })
  const walk = await walkFolder(folder, signal, { followLinks: input.followLinks === true })
  report.skipped = walk.skipped

  // Its own connection: the import runs in a worker (or a second `pictor` process) beside the app.
  return withJobDatabase(input.projectPath, async (db) => {
    const { source, runId } = writeTransaction(db, () => {
      const source = ensureSource(db, folder)
      return { source, runId: startImportRun(db, source.id) }
    })
    try {
      return await runImport(db, { input, folder, walk, report, source, runId, started, signal, onProgress, decode })
    } catch (error) {
      // Whatever stopped it, the run is over: it must not look 'interrupted' on the next open.
      try {
        writeTransaction(db, () => {
          if (importRunStatus(db, runId) === 'running') finishImportRun(db, runId, 'failed', report)
        })
      } catch {
        // The project stayed busy: the run then shows as interrupted, and the first error is the one to report.
      }
      throw error
    }
  })
}

interface RunContext {
  input: ImportInput
  folder: string
  walk: Awaited<ReturnType<typeof walkFolder>>
  report: ImportReport
  source: { id: number }
  runId: number
  started: number
  signal: AbortSignal
  onProgress: JobContext['onProgress']
  decode: Decode
}

async function runImport(db: Database, context: RunContext): Promise<ImportReport> {
  const { input, walk, report, source, runId, started, signal, onProgress, decode } = context
  const index = loadSourceIndex(db, source.id)
  const knownHashes = loadContentHashes(db)
  const writer = createWriter(db, source.id)

  // Files that failed before are tried again: a permission fixed or a disk remounted changes
  // neither size nor modification time.
  const todo = walk.files.filter((file) => {
    const known = index.get(file.relPath)
    const unchanged = known?.status === 'ok' && known.bytes === file.bytes && known.mtimeMs === file.mtimeMs
    if (unchanged) report.unchanged++
    return !unchanged
  })
  // Classes of the files to read are created up front in name order, so hotkeys (1, 2, 3…) and
  // colours do not depend on which file finished decoding first. Unchanged files create none:
  // a class the user deleted or renamed stays that way.
  const classNames = new Set(todo.map((file) => interpretPath(file.relPath).className))
  writeTransaction(db, () => {
    for (const name of [...classNames].filter((n): n is string => n !== null).sort()) writer.ensureClass(name)
  })
  const thumbnails = new ThumbnailWrites(new ThumbnailStore(input.thumbnailDir))
  const limits = input.limits ?? DEFAULT_LIMITS
  const maxFileBytes = input.maxFileBytes ?? 512 * 1024 * 1024
  const total = todo.length
  let done = 0
  let batch: Outcome[] = []
  let lastFlush = Date.now()

  /** A failure that is not any one file's fault (the thumbnail folder): the import stops. */
  let fatal: unknown = null
  const commit = (outcomes: Outcome[]) => {
    // Lanes finish out of order; path order keeps image ids (the "import order") stable.
    outcomes.sort((a, b) => (a.file.relPath < b.file.relPath ? -1 : 1))
    // Synchronous from BEGIN to COMMIT: no file is read or decoded while the lock is held.
    writeTransaction(db, () => {
      for (const outcome of outcomes) writer.write(outcome)
    })
    // Counted once committed, so the report only ever counts what is on disk.
    for (const outcome of outcomes) {
      const known = index.get(outcome.file.relPath)
      if ('error' in outcome) {
        report.failed++
        report.errors.push({ path: outcome.file.relPath, code: outcome.error.code, message: outcome.error.message })
      } else if (known && known.status !== 'missing') report.updated++
      else report.imported++
    }
  }
  // Batches commit one after another, in order, each once the thumbnails started so far are on
  // disk: a committed 'ok' row always has its thumbnail, and a kill loses at most the open batch.
  let committing: Promise<void> = Promise.resolve()
  const flush = (): Promise<void> => {
    if (batch.length === 0) return committing
    const outcomes = batch
    batch = []
    lastFlush = Date.now()
    committing = committing.then(async () => {
      if (fatal !== null) return
      try {
        await thumbnails.settle()
      } catch (error) {
        fatal = error
        return
      }
      commit(outcomes)
    })
    return committing
  }

  let next = 0
  const lane = async () => {
    while (next < todo.length && !signal.aborted && fatal === null && thumbnails.failure === null) {
      const file = todo[next++]!
      const outcome = await decode(file, { limits, maxFileBytes })
      if (!('error' in outcome)) {
        const ownOldHash = index.get(file.relPath)?.contentHash
        if (knownHashes.has(outcome.contentHash) && ownOldHash !== outcome.contentHash) report.duplicates++
        knownHashes.add(outcome.contentHash)
        thumbnails.start(outcome.contentHash, outcome.analysis.thumbnail)
      }
      batch.push(outcome)
      done++
      if (batch.length >= BATCH_SIZE || Date.now() - lastFlush > BATCH_MAX_MS) await flush()
      onProgress({ done, total, message: `Importing ${file.relPath}` })
    }
  }
  const lanes = input.concurrency ?? Math.max(2, availableParallelism() * 2)
  await Promise.all(Array.from({ length: lanes }, lane))
  await flush()
  // Writes of a batch that was never committed (the import stopping) end before the run is recorded.
  await thumbnails.settle().catch((error: unknown) => {
    fatal ??= error
  })
  if (fatal !== null) {
    const message = `cannot write thumbnails to ${input.thumbnailDir}: ${(fatal as Error).message}`
    const failed = { ...report, errors: [...report.errors, { path: '', code: 'IO_ERROR', message }] }
    writeTransaction(db, () => finishImportRun(db, runId, 'failed', failed))
    throw new AppError('IO_ERROR', message)
  }

  report.cancelled = signal.aborted
  // Problems found while walking (loops, dangling links, unreadable folders) are recorded too.
  for (const problem of walk.problems) {
    report.failed++
    report.errors.push({ path: problem.relPath, code: problem.code, message: problem.message })
  }
  const vanished: number[] = []
  if (!report.cancelled) {
    const seen = new Set(walk.files.map((file) => file.relPath))
    for (const problem of walk.problems) seen.add(problem.relPath)
    for (const [relPath, known] of index) if (!seen.has(relPath) && known.status !== 'missing') vanished.push(known.id)
  }
  report.removed += vanished.length
  report.durationMs = Date.now() - started
  report.imagesPerSecond = report.durationMs > 0 ? Math.round((done * 1000) / report.durationMs) : 0
  // In batches like the imports, so marking a removed folder's many files never holds the lock long;
  // a re-run after a crash in between simply marks the rest.
  const problems = walk.problems.map((problem) => ({
    file: { relPath: problem.relPath, absPath: '', bytes: 0, mtimeMs: 0 },
    error: new FileError(problem.code, problem.message)
  }))
  for (let start = 0; start < problems.length; start += BATCH_SIZE) {
    writeTransaction(db, () => problems.slice(start, start + BATCH_SIZE).forEach((outcome) => writer.write(outcome)))
  }
  for (let start = 0; start < vanished.length; start += BATCH_SIZE) {
    writeTransaction(db, () => vanished.slice(start, start + BATCH_SIZE).forEach((id) => writer.markMissing(id)))
  }
  // Counted from the committed rows before the lock is taken: two scans of the source's images.
  Object.assign(report, sourceImageCounts(db, source.id))
  writeTransaction(db, () => {
    if (!report.cancelled) markSourceScanned(db, source.id)
    finishImportRun(db, runId, report.cancelled ? 'cancelled' : 'done', report)
  })
  return report
}

function createWriter(db: Database, sourceId: number) {
  const images = imageWriteStatements(db)
  const classes = classStatements(db)
  const labels = labelStatements(db)
  return {
    write(outcome: Outcome): void {
      const now = Date.now()
      const { split, className } = interpretPath(outcome.file.relPath)
      const failed = 'error' in outcome
      const record: ImageRecord = {
        sourceId,
        relPath: outcome.file.relPath,
        status: failed ? 'failed' : 'ok',
        errorCode: failed ? outcome.error.code : null,
        errorMessage: failed ? outcome.error.message : null,
        bytes: outcome.file.bytes,
        mtimeMs: outcome.file.mtimeMs,
        contentHash: failed ? null : outcome.contentHash,
        phash: failed ? null : outcome.analysis.phash,
        width: failed ? null : outcome.analysis.width,
        height: failed ? null : outcome.analysis.height,
        format: failed ? null : outcome.analysis.format,
        folderClass: className,
        split,
        importedAt: now
      }
      const imageId = images.upsert(record)
      if (!failed && className) labels.labelFromFolder(imageId, classes.ensure(className, now), now)
    },
    markMissing: images.markMissing,
    ensureClass: (name: string) => classes.ensure(name)
  }
}
