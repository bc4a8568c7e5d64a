-- Schema v11: a run can be a classifier trained elsewhere and imported as ONNX (`pictor runs import`,
-- issue 15). Its model is the .onnx file itself, not TF.js layers, so it lives beside run_models in a
-- table of its own: the bytes as imported, and the metadata Pictor runs it with (labels in output
-- order, input size, preprocessing). Deleting the run deletes its model, as for trained runs.
CREATE TABLE run_onnx_models (
  run_id      INTEGER PRIMARY KEY REFERENCES training_runs (id) ON DELETE CASCADE,
  onnx        BLOB    NOT NULL CHECK (length(onnx) > 0),
  metadata    TEXT    NOT NULL CHECK (json_valid(metadata)),
  -- Where it was imported from (the path given), for the run's history.
  source      TEXT    NOT NULL,
  imported_at INTEGER NOT NULL
) STRICT;
