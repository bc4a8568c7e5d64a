-- Schema v3: classes are deleted softly, so label history that mentions them stays valid and
-- undoing a "delete class" or "merge classes" action can bring the class back.
ALTER TABLE classes ADD COLUMN deleted_at INTEGER;

-- The class an action deleted (merge, delete); undo restores it, redo deletes it again.
ALTER TABLE label_actions ADD COLUMN deletes_class_id INTEGER REFERENCES classes (id);

-- Names and hotkeys must be unique among live classes only: a deleted "cat" must not block a new one.
CREATE TABLE classes_v3 (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
  color      TEXT    NOT NULL CHECK (color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
  hotkey     TEXT    CHECK (hotkey IS NULL OR length(hotkey) = 1),
  position   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
) STRICT;
INSERT INTO classes_v3 SELECT id, name, color, hotkey, position, created_at, deleted_at FROM classes;
DROP TABLE classes;
ALTER TABLE classes_v3 RENAME TO classes;
CREATE UNIQUE INDEX classes_live_name ON classes (name) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX classes_live_hotkey ON classes (hotkey) WHERE deleted_at IS NULL AND hotkey IS NOT NULL;
