-- Schema v7: large weights are stored in chunks, so writing them never holds the project's write
-- lock for long. One INSERT of a 100 MiB checkpoint kept every other writer (the app's label writes
-- among them) waiting for seconds; chunks of 1 MiB are committed one short transaction at a time,
-- and the row that points at them is written last, so a reader sees the old value or the new one.

-- One stored value (a model's or an optimizer's weights) of a run, split into chunks.
CREATE TABLE weight_blobs (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
  byte_length INTEGER NOT NULL CHECK (byte_length >= 0),
  created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX weight_blobs_by_run ON weight_blobs (run_id);

CREATE TABLE weight_chunks (
  blob_id  INTEGER NOT NULL REFERENCES weight_blobs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL CHECK (position >= 0),
  bytes    BLOB    NOT NULL,
  PRIMARY KEY (blob_id, position)
) STRICT;

-- When set, the weights are in that blob and the inline column holds an empty value; small weights
-- (a transfer head, a small CNN) stay inline as before, and rows from before v7 read unchanged.
ALTER TABLE run_models ADD COLUMN weights_blob INTEGER REFERENCES weight_blobs (id);
ALTER TABLE run_checkpoints ADD COLUMN weights_blob INTEGER REFERENCES weight_blobs (id);
ALTER TABLE run_checkpoints ADD COLUMN optimizer_blob INTEGER REFERENCES weight_blobs (id);
