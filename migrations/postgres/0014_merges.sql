-- One note per work: a preprint and its published version that S2 holds as two papers.
-- The store keeps both papers and all their edges as S2 gave them; a merge only says
-- which one the vault shows (kept_id) and which one folds into it (merged_id). Undoing
-- it deletes the row and remembers the pair as two works.
CREATE TABLE paper_merges (
    merged_id TEXT PRIMARY KEY NOT NULL,
    kept_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    merged_at BIGINT NOT NULL
);
CREATE INDEX paper_merges_kept ON paper_merges (kept_id);

-- Pairs a user unmerged: never merged again (paper_a < paper_b).
CREATE TABLE merge_refusals (
    paper_a TEXT NOT NULL,
    paper_b TEXT NOT NULL,
    refused_at BIGINT NOT NULL,
    PRIMARY KEY (paper_a, paper_b)
);
