-- Schema v8: a training run records which process trains it (its lease), so a run whose process is
-- gone (killed, crashed, the machine lost power) is marked 'interrupted' in the database instead of
-- staying 'running' forever, while a run that another process (a `pictor train` beside the app) is
-- training right now is left alone. The holder renews the lease every few seconds; see
-- services/run-leases.ts for how a lease is judged live.
--
-- 'interrupted' is a new status, and SQLite cannot change a CHECK constraint in place: the table is
-- rebuilt (foreign keys are off during migrations, so the rows that point at runs stay as they are).
CREATE TABLE training_runs_v8 (
  id          INTEGER PRIMARY KEY,
  model_kind  TEXT    NOT NULL,
  status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
  settings    TEXT    NOT NULL CHECK (json_valid(settings)),
  backend     TEXT,
  class_names TEXT    NOT NULL CHECK (json_valid(class_names)),
  created_at  INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER,
  error       TEXT,
  summary     TEXT CHECK (summary IS NULL OR json_valid(summary)),
  class_ids   TEXT CHECK (class_ids IS NULL OR json_valid(class_ids)),
  -- The lease: a random id per training attempt, the host and process id that run it, and when it
  -- last said it was alive (ms since the epoch). All four are set together, or none.
  lease_owner        TEXT,
  lease_host         TEXT,
  lease_pid          INTEGER,
  lease_heartbeat_at INTEGER,
  CHECK ((lease_owner IS NULL) = (lease_heartbeat_at IS NULL)
     AND (lease_owner IS NULL) = (lease_host IS NULL)
     AND (lease_owner IS NULL) = (lease_pid IS NULL))
) STRICT;
INSERT INTO training_runs_v8 (id, model_kind, status, settings, backend, class_names, created_at, started_at, finished_at, error, summary, class_ids)
  SELECT id, model_kind, status, settings, backend, class_names, created_at, started_at, finished_at, error, summary, class_ids FROM training_runs;
DROP TABLE training_runs;
ALTER TABLE training_runs_v8 RENAME TO training_runs;
