-- A crawl may start from several seeds (levels count from the nearest). Its seeds, in the
-- order given; crawls.seed_id becomes the crawl's seed key: the seed's id for one seed,
-- "seeds:<sha-256 of the sorted ids>" for several, so the same seeds name the same crawl.
CREATE TABLE crawl_seeds (
    crawl_id BIGINT NOT NULL REFERENCES crawls (crawl_id),
    paper_id TEXT NOT NULL,
    input TEXT NOT NULL,                          -- the id as the user gave it
    position BIGINT NOT NULL,
    PRIMARY KEY (crawl_id, paper_id)
);
INSERT INTO crawl_seeds (crawl_id, paper_id, input, position)
    SELECT crawl_id, seed_id, seed_input, 0 FROM crawls;

-- Papers the user has in their own library (seeds taken from a BibTeX, CSL-JSON or RIS
-- file): their notes say so.
CREATE TABLE library_papers (
    paper_id TEXT PRIMARY KEY NOT NULL,
    added_at BIGINT NOT NULL
);
