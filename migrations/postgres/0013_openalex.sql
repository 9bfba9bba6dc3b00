-- What OpenAlex gave for papers Semantic Scholar left without an abstract, an
-- open-access PDF or a venue. Kept apart from `papers`, which every S2 fetch rewrites, so
-- each field's source stays known (S2's value wins when it has one).
CREATE TABLE openalex_works (
    paper_id TEXT PRIMARY KEY NOT NULL,
    work_id TEXT,                                    -- W…; NULL: OpenAlex has no work for the DOI
    abstract TEXT,
    pdf_url TEXT,
    venue TEXT,
    checked_at BIGINT NOT NULL
);

-- OpenAlex requests made by each run of a crawl (openalex.max_requests_per_crawl).
CREATE TABLE openalex_usage (
    crawl_id BIGINT NOT NULL,
    run BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (crawl_id, run)
);
