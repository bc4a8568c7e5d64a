-- Schema v9: the run the user last reviewed, so Review opens on it again (issue 14: it opened the
-- newest run, however much worse than the one being studied). A column, not a key in the settings
-- JSON: run ids are reused after the newest run is deleted (INTEGER PRIMARY KEY without
-- AUTOINCREMENT), so only a foreign key that clears itself keeps a deleted run from being mistaken
-- for the next one trained.
ALTER TABLE project ADD COLUMN review_run_id INTEGER REFERENCES training_runs (id) ON DELETE SET NULL;
