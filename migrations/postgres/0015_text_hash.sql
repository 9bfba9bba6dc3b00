-- A hash of each fetched paper's id, title and abstract (`store::paper_text_hash`), written with
-- them: the analysis fingerprints a crawl's texts from these numbers instead of reading
-- every title and abstract. NULL for rows written before this column or known only from a
-- list; the analysis hashes those rows' texts itself. The index covers what it reads, so
-- the sums need no page of the papers' long rows.
ALTER TABLE papers ADD COLUMN text_hash BIGINT;
CREATE INDEX papers_text_hash ON papers (paper_id, text_hash);
