import { stat } from 'node:fs/promises'
import type { Handlers } from '../core/dispatcher'
import { AppError, fromSystemError, READ_ONLY_MESSAGE } from '../core/errors'
import { readLabelFile } from '../dataset/label-import'
import type { ServiceContext } from './context'
import { runLabelImport } from './label-import'

type Methods = 'labels.importCsv'

/** A label CSV is read whole on the main process: 100k rows are a few MB, so this is far beyond any real one. */
const MAX_CSV_BYTES = 256 * 1024 * 1024

/**
 * labels.importCsv: the app's `pictor labels import`. A dry run only reads, so it is not in
 * PROJECT_WRITES (a read-only project may be checked); applying is refused there as READ_ONLY. An
 * applied import is announced as a `labels.changed` event, as labels.assign is, so every window moves
 * its counts and its undo button; Ctrl+Z (labels.undo) takes the whole import back.
 */
export function labelImportHandlers({ session, events }: ServiceContext): Pick<Handlers, Methods> {
  return {
    'labels.importCsv': async ({ file, by, dryRun }) => {
      if (!session.summary) throw new AppError('NO_PROJECT', 'open a project before importing labels into it')
      await requireSmallFile(file)
      // From here on nothing awaits, so the project checked is the one written.
      const db = session.db
      if (!dryRun && session.summary?.readOnly) throw new AppError('READ_ONLY', READ_ONLY_MESSAGE)
      const { result, change } = runLabelImport(db, readLabelFile(file), { ...(by ? { by } : {}), dryRun })
      if (change) events.emit('labels.changed', change)
      return { ...result, change }
    }
  }
}

async function requireSmallFile(file: string): Promise<void> {
  const info = await stat(file).catch((error: unknown) => {
    throw fromSystemError(error, file) ?? error
  })
  if (info.isDirectory()) throw new AppError('INVALID_REQUEST', `${file} is a folder, not a CSV file`)
  if (info.size > MAX_CSV_BYTES) throw new AppError('INVALID_REQUEST', `${file} is ${Math.round(info.size / 1024 / 1024)} MiB; a label CSV may be at most ${MAX_CSV_BYTES / 1024 / 1024} MiB`)
}
