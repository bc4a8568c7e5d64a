-- Schema v10: a label can come from an imported file (`pictor labels import`, issue 15), and says so,
-- as 'folder', 'user' and 'model' say who decided the others. The origin columns are CHECK-constrained,
-- which SQLite cannot alter in place: each table is rebuilt the documented way (foreign keys are off
-- while migrations run; migrations.ts checks them before the commit), keeping every row and id.

CREATE TABLE labels_v10 (
  image_id   INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  class_id   INTEGER NOT NULL REFERENCES classes (id),
  origin     TEXT    NOT NULL CHECK (origin IN ('folder', 'user', 'model', 'import')),
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO labels_v10 (image_id, class_id, origin, updated_at) SELECT image_id, class_id, origin, updated_at FROM labels;
DROP TABLE labels;
ALTER TABLE labels_v10 RENAME TO labels;
CREATE INDEX labels_by_class ON labels (class_id);

-- Redo writes an action's labels with its origin: an import redone stays 'import'.
CREATE TABLE label_actions_v10 (
  id               INTEGER PRIMARY KEY,
  description      TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  undone           INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
  deletes_class_id INTEGER REFERENCES classes (id),
  origin           TEXT    NOT NULL DEFAULT 'user' CHECK (origin IN ('user', 'model', 'import'))
) STRICT;
INSERT INTO label_actions_v10 (id, description, created_at, undone, deletes_class_id, origin)
  SELECT id, description, created_at, undone, deletes_class_id, origin FROM label_actions;
DROP TABLE label_actions;
ALTER TABLE label_actions_v10 RENAME TO label_actions;

-- Undo puts back who had decided a label: relabeling an imported one and undoing it restores 'import'.
CREATE TABLE label_changes_v10 (
  action_id    INTEGER NOT NULL REFERENCES label_actions (id) ON DELETE CASCADE,
  image_id     INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  old_class_id INTEGER REFERENCES classes (id),
  new_class_id INTEGER REFERENCES classes (id),
  old_origin   TEXT CHECK (old_origin IS NULL OR old_origin IN ('folder', 'user', 'model', 'import')),
  PRIMARY KEY (action_id, image_id),
  CHECK (old_class_id IS NOT new_class_id)
) STRICT, WITHOUT ROWID;
INSERT INTO label_changes_v10 (action_id, image_id, old_class_id, new_class_id, old_origin)
  SELECT action_id, image_id, old_class_id, new_class_id, old_origin FROM label_changes;
DROP TABLE label_changes;
ALTER TABLE label_changes_v10 RENAME TO label_changes;
CREATE INDEX label_changes_by_image ON label_changes (image_id);
