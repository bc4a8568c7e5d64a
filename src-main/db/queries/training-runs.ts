import type { Database } from 'better-sqlite3'
import type { EpochMetrics, RunStatus, RunSummary } from '../../contract/types'

export function createRun(
  db: Database,
  run: { modelKind: string; settings: unknown; classNames: string[]; backend: string | null },
  now = Date.now()
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO training_runs (model_kind, status, settings, backend, class_names, created_at)
         VALUES (?, 'queued', ?, ?, ?, ?)`
      )
      .run(run.modelKind, JSON.stringify(run.settings), run.backend, JSON.stringify(run.classNames), now).lastInsertRowid
  )
}

/** Marks a run as training on `classes` (output order): their names for display, their ids for review. */
export function markRunStarted(db: Database, runId: number, backend: string, classes: readonly { id: number; name: string }[], now = Date.now()): void {
  db.prepare(
    `UPDATE training_runs SET status = 'running', backend = ?, class_names = ?, class_ids = ?, started_at = coalesce(started_at, ?),
            finished_at = NULL, error = NULL WHERE id = ?`
  ).run(backend, JSON.stringify(classes.map((entry) => entry.name)), JSON.stringify(classes.map((entry) => entry.id)), now, runId)
}

/** The class id of each output unit, as recorded when the run started; null for runs from before schema v6. */
export function runClassIds(db: Database, runId: number): number[] | null {
  const text = db.prepare('SELECT class_ids FROM training_runs WHERE id = ?').pluck().get(runId) as string | null | undefined
  return text ? (JSON.parse(text) as number[]) : null
}

export function finishRun(
  db: Database,
  runId: number,
  status: Exclude<RunStatus, 'queued' | 'running' | 'interrupted'>,
  outcome: { summary?: unknown; error?: string },
  now = Date.now()
): void {
  db.prepare('UPDATE training_runs SET status = ?, finished_at = ?, summary = ?, error = ? WHERE id = ?').run(
    status,
    now,
    outcome.summary === undefined ? null : JSON.stringify(outcome.summary),
    outcome.error ?? null,
    runId
  )
}

export function recordEpoch(db: Database, runId: number, metrics: EpochMetrics): void {
  db.prepare(
    `INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (?, ?, ?)
     ON CONFLICT (run_id, epoch) DO UPDATE SET metrics = excluded.metrics`
  ).run(runId, metrics.epoch, JSON.stringify(metrics))
}

/** The folder the run writes its TensorBoard logs and report into (schema v13), kept once chosen. */
export function setRunLogDir(db: Database, runId: number, logDir: string): void {
  db.prepare('UPDATE training_runs SET log_dir = ? WHERE id = ?').run(logDir, runId)
}

/** Epochs after `lastKept` belong to an attempt that was cut short; a resume replaces them. */
export function dropEpochsAfter(db: Database, runId: number, lastKept: number): void {
  db.prepare('DELETE FROM run_epochs WHERE run_id = ? AND epoch > ?').run(runId, lastKept)
}

interface RunRow {
  id: number
  modelKind: string
  status: RunStatus
  settings: string
  backend: string | null
  classNames: string
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  error: string | null
  summary: string | null
  logDir: string | null
}

/** A run that is queued or training is not resumed: its process may be at work on it right now. */
const RESUMABLE_WITH_CHECKPOINT = new Set<RunStatus>(['interrupted', 'cancelled', 'failed'])
const RESTARTABLE = new Set<RunStatus>(['interrupted', 'cancelled'])

const RUN_COLUMNS = `id, model_kind AS modelKind, status, settings, backend, class_names AS classNames,
  created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt, error, summary, log_dir AS logDir`

function toSummary(db: Database, row: RunRow): RunSummary {
  const epochs = (
    db.prepare('SELECT metrics FROM run_epochs WHERE run_id = ? ORDER BY epoch').pluck().all(row.id) as string[]
  ).map((text) => JSON.parse(text) as EpochMetrics)
  // A trained model (TF.js layers) or an imported one (ONNX, schema v11).
  const hasModel =
    db.prepare('SELECT 1 FROM run_models WHERE run_id = ? UNION ALL SELECT 1 FROM run_onnx_models WHERE run_id = ?').pluck().get(row.id, row.id) !== undefined
  const hasCheckpoint = db.prepare('SELECT 1 FROM run_checkpoints WHERE run_id = ?').pluck().get(row.id) !== undefined
  return {
    id: row.id,
    modelKind: row.modelKind,
    status: row.status,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    backend: row.backend,
    classNames: JSON.parse(row.classNames) as string[],
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    error: row.error,
    summary: row.summary ? (JSON.parse(row.summary) as RunSummary['summary']) : null,
    epochs,
    logDir: row.logDir,
    hasModel,
    // From its last checkpoint; a run stopped before its first one (interrupted, cancelled) restarts from scratch.
    resumable: !hasModel && (hasCheckpoint ? RESUMABLE_WITH_CHECKPOINT.has(row.status) : RESTARTABLE.has(row.status))
  }
}

export function listRuns(db: Database): RunSummary[] {
  const rows = db.prepare(`SELECT ${RUN_COLUMNS} FROM training_runs ORDER BY id DESC`).all() as RunRow[]
  return rows.map((row) => toSummary(db, row))
}

export function getRun(db: Database, runId: number): RunSummary | undefined {
  const row = db.prepare(`SELECT ${RUN_COLUMNS} FROM training_runs WHERE id = ?`).get(runId) as RunRow | undefined
  return row ? toSummary(db, row) : undefined
}

/** The newest finished run that has a stored model (trained or imported), or undefined when none has. */
export function latestRunWithModel(db: Database): number | undefined {
  return db
    .prepare(
      `SELECT r.id FROM training_runs r
        WHERE r.status = 'done'
          AND (EXISTS (SELECT 1 FROM run_models m WHERE m.run_id = r.id) OR EXISTS (SELECT 1 FROM run_onnx_models o WHERE o.run_id = r.id))
        ORDER BY r.id DESC LIMIT 1`
    )
    .pluck()
    .get() as number | undefined
}

export function deleteRun(db: Database, runId: number): boolean {
  return db.prepare('DELETE FROM training_runs WHERE id = ?').run(runId).changes > 0
}

// ---- Leases: which process trains a run (schema v8; services/run-leases.ts decides what they mean).

export interface RunLease {
  /** A random id of the training attempt that holds the run. */
  owner: string
  host: string
  pid: number
}

export interface RunLeaseRow {
  id: number
  status: RunStatus
  lease: (RunLease & { heartbeatAt: number }) | null
}

interface LeaseColumns {
  id: number
  status: RunStatus
  owner: string | null
  host: string | null
  pid: number | null
  heartbeatAt: number | null
}

const LEASE_COLUMNS = 'id, status, lease_owner AS owner, lease_host AS host, lease_pid AS pid, lease_heartbeat_at AS heartbeatAt'

function toLeaseRow({ id, status, owner, host, pid, heartbeatAt }: LeaseColumns): RunLeaseRow {
  return { id, status, lease: owner === null ? null : { owner, host: host!, pid: pid!, heartbeatAt: heartbeatAt! } }
}

export function getRunLease(db: Database, runId: number): RunLeaseRow | undefined {
  const row = db.prepare(`SELECT ${LEASE_COLUMNS} FROM training_runs WHERE id = ?`).get(runId) as LeaseColumns | undefined
  return row && toLeaseRow(row)
}

/** Runs the database says are queued or training: each is either held by a live process or left behind. */
export function unfinishedRuns(db: Database): RunLeaseRow[] {
  return (db.prepare(`SELECT ${LEASE_COLUMNS} FROM training_runs WHERE status IN ('queued', 'running')`).all() as LeaseColumns[]).map(toLeaseRow)
}

export function setRunLease(db: Database, runId: number, lease: RunLease, now = Date.now()): void {
  db.prepare('UPDATE training_runs SET lease_owner = ?, lease_host = ?, lease_pid = ?, lease_heartbeat_at = ? WHERE id = ?').run(
    lease.owner,
    lease.host,
    lease.pid,
    now,
    runId
  )
}

/** The holder says it is alive; false when it no longer holds the run (taken over, or the run deleted). */
export function renewRunLease(db: Database, runId: number, owner: string, now = Date.now()): boolean {
  return db.prepare('UPDATE training_runs SET lease_heartbeat_at = ? WHERE id = ? AND lease_owner = ?').run(now, runId, owner).changes > 0
}

/**
 * Drops the lease of `owner` (null: whoever holds it, or nobody). A run still queued or running then
 * has nobody training it: it becomes 'interrupted', saying why; a finished one keeps its status.
 */
export function releaseRunLease(db: Database, runId: number, owner: string | null, why: string): void {
  db.prepare(
    `UPDATE training_runs
        SET status = CASE WHEN status IN ('queued', 'running') THEN 'interrupted' ELSE status END,
            error = CASE WHEN status IN ('queued', 'running') THEN ? ELSE error END,
            lease_owner = NULL, lease_host = NULL, lease_pid = NULL, lease_heartbeat_at = NULL
      WHERE id = ? AND lease_owner IS ?`
  ).run(why, runId, owner)
}

