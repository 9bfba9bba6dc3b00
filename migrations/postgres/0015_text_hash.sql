-- A hash of each fetched paper's title and abstract (`store::text_hash`), written with
-- them: the analysis fingerprints a crawl's texts from these numbers instead of reading
-- every title and abstract. NULL for rows written before this column or known only from a
-- list; the analysis hashes those rows' texts itself.
ALTER TABLE papers ADD COLUMN text_hash BIGINT;
