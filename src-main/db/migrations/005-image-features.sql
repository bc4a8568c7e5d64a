-- Schema v5: pooled backbone features (e.g. MobileNetV2's 1280 values per image), cached in the
-- project so a retrain after relabelling or adding images only runs the backbone on what is new.
--
-- Keyed by the file's content hash, not the image id: duplicates and re-imported files share one
-- row, and no foreign key ties a row to an image (a removed and re-added file finds its features
-- again). Keyed by model version too (base model id + sha256 of its weights), so features from other
-- weights are never mixed in. Rows no image refers to any more are pruned by the queries module.
CREATE TABLE image_features (
  content_hash  TEXT    NOT NULL CHECK (length(content_hash) > 0),
  model_version TEXT    NOT NULL CHECK (length(model_version) > 0),
  -- float32, little-endian, one value after another (5,120 bytes for 1280 features)
  features      BLOB    NOT NULL CHECK (length(features) > 0 AND length(features) % 4 = 0),
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (content_hash, model_version)
) STRICT, WITHOUT ROWID;
