-- Schema v12: a run's drift reference (`pictor serve`, issue 16) — what the run's training images
-- looked like to its model (class shares, low-confidence share, feature projections), as the JSON
-- a DriftReference is. Built once, on the first serve or export of the run, and kept with it;
-- deleting the run deletes it.
CREATE TABLE drift_references (
  run_id     INTEGER PRIMARY KEY REFERENCES training_runs (id) ON DELETE CASCADE,
  reference  TEXT    NOT NULL CHECK (json_valid(reference)),
  -- How many labeled images it was built from (the sample, at most ~2000), for the run's history.
  images     INTEGER NOT NULL CHECK (images >= 0),
  created_at INTEGER NOT NULL
) STRICT;
