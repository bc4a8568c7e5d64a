-- Schema v2: one row per folder import, so an import killed midway is noticed on the next open and
-- can be resumed, and the last import's report survives a restart.
CREATE TABLE import_runs (
  id          INTEGER PRIMARY KEY,
  source_id   INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  status      TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  report      TEXT CHECK (report IS NULL OR json_valid(report)),
  CHECK ((status = 'running') = (finished_at IS NULL))
) STRICT;
CREATE INDEX import_runs_by_status ON import_runs (status);
