// Runs whose model was trained elsewhere and imported as ONNX (schema v11): the training_runs row and
// the model bytes land in one transaction, so no run ever shows without its model or the reverse.
import type { Database } from 'better-sqlite3'
import { writeTransaction } from '../transaction'

export interface StoredOnnxModel<Metadata = unknown> {
  onnx: Uint8Array
  metadata: Metadata
  source: string
  importedAt: number
}

export interface ImportedRunRow {
  modelKind: string
  /** Where it came from, shown where a trained run shows its settings. */
  settings: unknown
  backend: string
  /** In the model's output order, with the project's class id of each. */
  classes: readonly { id: number; name: string }[]
  model: { onnx: Uint8Array; metadata: unknown; source: string }
}

/** A finished run holding an imported ONNX model; its id. */
export function insertImportedRun(db: Database, run: ImportedRunRow, now = Date.now()): number {
  return writeTransaction(db, () => {
    const runId = Number(
      db
        .prepare(
          `INSERT INTO training_runs (model_kind, status, settings, backend, class_names, class_ids, created_at, started_at, finished_at)
           VALUES (?, 'done', ?, ?, ?, ?, ?, ?, ?)`
        )
        .run(
          run.modelKind,
          JSON.stringify(run.settings),
          run.backend,
          JSON.stringify(run.classes.map((entry) => entry.name)),
          JSON.stringify(run.classes.map((entry) => entry.id)),
          now,
          now,
          now
        ).lastInsertRowid
    )
    db.prepare('INSERT INTO run_onnx_models (run_id, onnx, metadata, source, imported_at) VALUES (?, ?, ?, ?, ?)').run(
      runId,
      Buffer.from(run.model.onnx.buffer, run.model.onnx.byteOffset, run.model.onnx.byteLength),
      JSON.stringify(run.model.metadata),
      run.model.source,
      now
    )
    return runId
  })
}

export function loadRunOnnxModel<Metadata = unknown>(db: Database, runId: number): StoredOnnxModel<Metadata> | undefined {
  const row = db.prepare('SELECT onnx, metadata, source, imported_at AS importedAt FROM run_onnx_models WHERE run_id = ?').get(runId) as
    | { onnx: Buffer; metadata: string; source: string; importedAt: number }
    | undefined
  if (!row) return undefined
  return { onnx: new Uint8Array(row.onnx), metadata: JSON.parse(row.metadata) as Metadata, source: row.source, importedAt: row.importedAt }
}

export function hasRunOnnxModel(db: Database, runId: number): boolean {
  return db.prepare('SELECT 1 FROM run_onnx_models WHERE run_id = ?').pluck().get(runId) !== undefined
}
