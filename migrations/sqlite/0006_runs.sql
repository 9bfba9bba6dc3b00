-- A run is done when its crawl, summaries and render are, not when its last level is
-- fetched: the run whose levels are all fetched is recorded apart from the status.
ALTER TABLE crawls ADD COLUMN fetched_run INTEGER;

-- The run that queued a member's summary (so a paper is queued once per run, and the
-- run's summary progress counts only what needed work).
ALTER TABLE crawl_members ADD COLUMN summary_queued_run INTEGER;

-- A hash of everything a note is built from, and the size and modification time of its
-- file when it last matched them: a note whose inputs did not change, and whose file
-- nobody touched since, is neither rebuilt nor read back.
ALTER TABLE notes ADD COLUMN inputs_hash TEXT;
ALTER TABLE notes ADD COLUMN file_stamp TEXT;

-- Why a member's summary could not be made in the run that last tried (shown with the
-- crawl's failures); NULL when it was made or was current.
ALTER TABLE crawl_members ADD COLUMN summary_error TEXT;
