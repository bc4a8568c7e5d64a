-- Schema v4: trained models and resumable checkpoints live inside the project file, so a project
-- is one self-contained file and deleting a run deletes its model.

-- The final model of a run, as TF.js layers artifacts (topology JSON + one weights blob).
CREATE TABLE run_models (
  run_id       INTEGER PRIMARY KEY REFERENCES training_runs (id) ON DELETE CASCADE,
  topology     TEXT    NOT NULL CHECK (json_valid(topology)),
  weight_specs TEXT    NOT NULL CHECK (json_valid(weight_specs)),
  weights      BLOB    NOT NULL,
  saved_at     INTEGER NOT NULL
) STRICT;

-- The latest end-of-epoch state of a run (model and optimizer weights, callback state), written
-- after every epoch so a run killed midway resumes from its last finished epoch.
CREATE TABLE run_checkpoints (
  run_id            INTEGER PRIMARY KEY REFERENCES training_runs (id) ON DELETE CASCADE,
  epoch             INTEGER NOT NULL CHECK (epoch >= 0),
  weight_specs      TEXT    NOT NULL CHECK (json_valid(weight_specs)),
  weights           BLOB    NOT NULL,
  optimizer_specs   TEXT    NOT NULL CHECK (json_valid(optimizer_specs)),
  optimizer_weights BLOB    NOT NULL,
  state             TEXT    NOT NULL CHECK (json_valid(state)),
  saved_at          INTEGER NOT NULL
) STRICT;
