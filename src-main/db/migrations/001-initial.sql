-- Schema v1 of a Pictor project. Every table is STRICT; times are Unix milliseconds (INTEGER).

-- Exactly one row: the project's own name and settings.
CREATE TABLE project (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at INTEGER NOT NULL,
  settings   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(settings))
) STRICT;

-- Folders the user imported; images are stored relative to one of them, so a moved root is one update.
CREATE TABLE sources (
  id           INTEGER PRIMARY KEY,
  root_path    TEXT    NOT NULL UNIQUE,
  added_at     INTEGER NOT NULL,
  last_scan_at INTEGER
) STRICT;

CREATE TABLE images (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  rel_path      TEXT    NOT NULL,
  -- 'failed' rows keep the reason, so a bad file is reported, not silently dropped.
  status        TEXT    NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failed', 'missing')),
  error_code    TEXT,
  error_message TEXT,
  bytes         INTEGER NOT NULL CHECK (bytes >= 0),
  mtime_ms      INTEGER NOT NULL,
  content_hash  TEXT,            -- sha256 of the file's bytes, hex: exact duplicates, thumbnail cache key
  phash         TEXT,            -- 64-bit perceptual hash, hex: near-duplicates and split leakage
  width         INTEGER CHECK (width > 0),
  height        INTEGER CHECK (height > 0),
  format        TEXT,
  folder_class  TEXT,            -- the class its folder named at import, before any relabeling
  split         TEXT CHECK (split IN ('train', 'val', 'test')),
  -- who decided the split: an imported train/val/test folder, the seeded assignment, or the user
  split_origin  TEXT CHECK (split_origin IN ('folder', 'auto', 'user')),
  imported_at   INTEGER NOT NULL,
  UNIQUE (source_id, rel_path),
  CHECK ((split IS NULL) = (split_origin IS NULL)),
  CHECK (status <> 'failed' OR error_code IS NOT NULL)
) STRICT;
CREATE INDEX images_by_content_hash ON images (content_hash);
CREATE INDEX images_by_status ON images (status);
CREATE INDEX images_by_split ON images (split);

CREATE TABLE classes (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE CHECK (length(trim(name)) BETWEEN 1 AND 100),
  color      TEXT    NOT NULL CHECK (color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
  hotkey     TEXT    UNIQUE CHECK (hotkey IS NULL OR length(hotkey) = 1),
  position   INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

-- The current label of each labeled image; unlabeled images have no row.
CREATE TABLE labels (
  image_id   INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  class_id   INTEGER NOT NULL REFERENCES classes (id),
  origin     TEXT    NOT NULL CHECK (origin IN ('folder', 'user', 'model')),
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX labels_by_class ON labels (class_id);

-- Label history for undo/redo across restarts: one action (a key press, a bulk assign) holds the
-- before/after class of every image it touched. NULL class = unlabeled.
CREATE TABLE label_actions (
  id          INTEGER PRIMARY KEY,
  description TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  undone      INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1))
) STRICT;

CREATE TABLE label_changes (
  action_id    INTEGER NOT NULL REFERENCES label_actions (id) ON DELETE CASCADE,
  image_id     INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  old_class_id INTEGER REFERENCES classes (id),
  new_class_id INTEGER REFERENCES classes (id),
  PRIMARY KEY (action_id, image_id),
  CHECK (old_class_id IS NOT new_class_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX label_changes_by_image ON label_changes (image_id);

CREATE TABLE training_runs (
  id          INTEGER PRIMARY KEY,
  model_kind  TEXT    NOT NULL,  -- 'cnn', 'mobilenetv2', ...
  status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  settings    TEXT    NOT NULL CHECK (json_valid(settings)),
  backend     TEXT,
  class_names TEXT    NOT NULL CHECK (json_valid(class_names)),  -- the model's output order
  created_at  INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER,
  error       TEXT,
  summary     TEXT CHECK (summary IS NULL OR json_valid(summary))
) STRICT;

CREATE TABLE run_epochs (
  run_id  INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
  epoch   INTEGER NOT NULL CHECK (epoch >= 0),
  metrics TEXT    NOT NULL CHECK (json_valid(metrics)),  -- {loss, accuracy, valLoss, valAccuracy, ...}
  PRIMARY KEY (run_id, epoch)
) STRICT, WITHOUT ROWID;

CREATE TABLE predictions (
  run_id          INTEGER NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
  image_id        INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  predicted_index INTEGER NOT NULL CHECK (predicted_index >= 0),  -- into the run's class_names
  confidence      REAL    NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  probabilities   BLOB    NOT NULL,                                -- float32 little-endian, one per class
  PRIMARY KEY (run_id, image_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX predictions_by_image ON predictions (image_id);
