-- Schema v6: what Review and model-assisted labeling remember — a run's predictions, suspected label
-- errors with the user's verdicts, model suggestions for unlabeled images, and robustness reports.
-- Metrics are not stored: they are computed from predictions against the current labels, so a
-- relabel shows in the confusion matrix at once.

-- The class id behind each output unit of a run, in output order (NULL for runs trained before v6,
-- which are matched by name). Names alone break when a class is renamed after training or a new
-- class takes an old name.
ALTER TABLE training_runs ADD COLUMN class_ids TEXT CHECK (class_ids IS NULL OR json_valid(class_ids));

-- Undo and redo put back who decided a label: redo of an accepted model suggestion stays 'model',
-- undo of a relabel restores a folder label as 'folder' (before v6 both came back as 'user').
ALTER TABLE label_actions ADD COLUMN origin TEXT NOT NULL DEFAULT 'user' CHECK (origin IN ('user', 'model'));
ALTER TABLE label_changes ADD COLUMN old_origin TEXT CHECK (old_origin IS NULL OR old_origin IN ('folder', 'user', 'model'));

-- One evaluation per run: which class each output unit meant when it was computed, and how.
CREATE TABLE run_evaluations (
  run_id      INTEGER PRIMARY KEY REFERENCES training_runs (id) ON DELETE CASCADE,
  -- JSON array: output index → class id
  class_ids   TEXT    NOT NULL CHECK (json_valid(class_ids)),
  engine      TEXT    NOT NULL,
  computed_at INTEGER NOT NULL
) STRICT;

-- A run's probabilities per image live in `predictions`, created in v1 for exactly this and unused
-- until now (run_id → training_runs, cascading; probabilities float32 LE in the run's output order).

-- The latest confident-learning scan (one row) and what it flagged.
CREATE TABLE label_issue_scans (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  folds       INTEGER NOT NULL CHECK (folds >= 2),
  examined    INTEGER NOT NULL CHECK (examined >= 0),
  model_version TEXT  NOT NULL,
  computed_at INTEGER NOT NULL
) STRICT;

CREATE TABLE label_issues (
  image_id             INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  given_class_id       INTEGER NOT NULL REFERENCES classes (id),
  suggested_class_id   INTEGER NOT NULL REFERENCES classes (id),
  self_confidence      REAL    NOT NULL CHECK (self_confidence BETWEEN 0 AND 1),
  suggested_confidence REAL    NOT NULL CHECK (suggested_confidence BETWEEN 0 AND 1),
  -- 0 = most suspicious
  rank                 INTEGER NOT NULL CHECK (rank >= 0)
) STRICT;

-- Verdicts outlive scans: an image the user said is labeled right (for that label) stays accepted or
-- rejected when a later scan flags it again.
CREATE TABLE label_issue_decisions (
  image_id       INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  given_class_id INTEGER NOT NULL REFERENCES classes (id),
  decision       TEXT    NOT NULL CHECK (decision IN ('accepted', 'rejected')),
  decided_at     INTEGER NOT NULL,
  PRIMARY KEY (image_id, given_class_id)
) STRICT, WITHOUT ROWID;

-- Model-assisted labeling: the model's guess for an image while it is unlabeled.
CREATE TABLE suggestions (
  image_id    INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  run_id      INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
  class_id    INTEGER NOT NULL REFERENCES classes (id),
  confidence  REAL    NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  computed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX suggestions_by_confidence ON suggestions (confidence);

-- Accuracy under FGSM perturbation, per run.
CREATE TABLE robustness_reports (
  run_id      INTEGER PRIMARY KEY REFERENCES training_runs (id) ON DELETE CASCADE,
  split       TEXT    NOT NULL CHECK (split IN ('train', 'val', 'test')),
  count       INTEGER NOT NULL CHECK (count > 0),
  -- JSON array of {epsilon, accuracy}
  points      TEXT    NOT NULL CHECK (json_valid(points)),
  computed_at INTEGER NOT NULL
) STRICT;
