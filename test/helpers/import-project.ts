import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import { createProjectDatabase } from '../../src-main/db/connection'
import { insertProject } from '../../src-main/db/queries/project'
import { importFolder, type ImportInput } from '../../src-main/import/import-folder'
import type { ImportReport } from '../../src-main/import/import-report'
import type { ProgressUpdate } from '../../src-main/jobs/job'

/** Everything one import test works in, all inside its temp folder. */
export interface ImportSetup {
  /** The folder to import (created empty). */
  folder: string
  projectPath: string
  thumbnailDir: string
}

/** Creates `<dir>/photos/`, a closed project file `<dir>/project.pictor` and a thumbnail folder path. */
export function setUpImport(dir: string): ImportSetup {
  const folder = join(dir, 'photos')
  mkdirSync(folder)
  const projectPath = join(dir, 'project.pictor')
  createProjectDatabase(projectPath, (db) => insertProject(db, { name: 'Test', createdAt: Date.now() })).close()
  return { folder, projectPath, thumbnailDir: join(dir, 'thumbnails') }
}

export interface RunOptions extends Partial<Omit<ImportInput, 'projectPath' | 'folder' | 'thumbnailDir'>> {
  signal?: AbortSignal
  onProgress?: (update: ProgressUpdate) => void
}

/** Runs the real importFolder on the setup's folder; progress updates are collected too. */
export async function runImport(
  setup: ImportSetup,
  { signal = new AbortController().signal, onProgress, ...input }: RunOptions = {}
): Promise<ImportReport & { progress: ProgressUpdate[] }> {
  const progress: ProgressUpdate[] = []
  const report = await importFolder(
    { projectPath: setup.projectPath, folder: setup.folder, thumbnailDir: setup.thumbnailDir, ...input },
    {
      signal,
      onProgress: (update) => {
        progress.push(update)
        onProgress?.(update)
      }
    }
  )
  return Object.assign(report, { progress })
}

export interface ImageRow {
  id: number
  source_id: number
  rel_path: string
  status: 'ok' | 'failed' | 'missing'
  error_code: string | null
  error_message: string | null
  bytes: number
  mtime_ms: number
  content_hash: string | null
  phash: string | null
  width: number | null
  height: number | null
  format: string | null
  folder_class: string | null
  split: string | null
  split_origin: string | null
  imported_at: number
}

/** Opens the project file with a plain connection (foreign keys on), runs `fn`, closes it. */
export function withProjectDb<T>(projectPath: string, fn: (db: Database) => T): T {
  const db = new BetterSqlite3(projectPath)
  try {
    db.pragma('foreign_keys = ON')
    return fn(db)
  } finally {
    db.close()
  }
}

/** Every image row, by rel_path. */
export function imageRows(projectPath: string): Map<string, ImageRow> {
  const rows = withProjectDb(projectPath, (db) => db.prepare('SELECT * FROM images ORDER BY id').all() as ImageRow[])
  return new Map(rows.map((row) => [row.rel_path, row]))
}

export interface LabelRow {
  rel_path: string
  class_name: string
  origin: string
}

/** Every label with its image path and class name, by rel_path. */
export function labelRows(projectPath: string): Map<string, LabelRow> {
  const rows = withProjectDb(
    projectPath,
    (db) =>
      db
        .prepare(
          `SELECT i.rel_path, c.name AS class_name, l.origin
           FROM labels l JOIN images i ON i.id = l.image_id JOIN classes c ON c.id = l.class_id`
        )
        .all() as LabelRow[]
  )
  return new Map(rows.map((row) => [row.rel_path, row]))
}

export interface ImportRunRow {
  id: number
  source_id: number
  status: string
  started_at: number
  finished_at: number | null
  report: string | null
}

export function importRunRows(projectPath: string): ImportRunRow[] {
  return withProjectDb(projectPath, (db) => db.prepare('SELECT * FROM import_runs ORDER BY id').all() as ImportRunRow[])
}
