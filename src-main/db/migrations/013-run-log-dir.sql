-- Schema v13: where a run writes its TensorBoard event files and its report (issue 17): the run's own
-- folder, e.g. /home/me/flowers.runs/run-12 (train/ and validation/ event files, report.html).
-- Chosen when the run starts (beside the project file unless the user picked another log folder) and
-- kept, so a run's trail is found again after the default changes. NULL for runs from before v13 and
-- for imported ones: `pictor runs logs` writes theirs where it is asked to.
ALTER TABLE training_runs ADD COLUMN log_dir TEXT CHECK (log_dir IS NULL OR length(log_dir) > 0);
