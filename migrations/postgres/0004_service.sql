-- The service: refreshes (each one a run of its crawl), what the crawl's papers looked
-- like when one began (so its what's-new note can say what moved), and which scheduled
-- occurrence some replica has claimed (so a nightly refresh runs once, however many
-- replicas fire).

CREATE TABLE refreshes (
    crawl_id BIGINT NOT NULL,
    run BIGINT NOT NULL,
    trigger TEXT NOT NULL,                        -- schedule | command | api
    started_at BIGINT NOT NULL,
    previous_at BIGINT,                          -- when the run before it finished
    PRIMARY KEY (crawl_id, run)
);

CREATE TABLE refresh_before (
    crawl_id BIGINT NOT NULL,
    run BIGINT NOT NULL,                         -- the refresh's run
    paper_id TEXT NOT NULL,
    citation_count BIGINT,
    influential_citation_count BIGINT,
    reference_count BIGINT,
    PRIMARY KEY (crawl_id, run, paper_id)
);

CREATE TABLE schedule_claims (
    name TEXT NOT NULL,                           -- refresh | prune
    slot TEXT NOT NULL,                           -- the occurrence, RFC 3339 UTC
    owner TEXT NOT NULL,                          -- the process that claimed it
    claimed_at BIGINT NOT NULL,
    PRIMARY KEY (name, slot)
);
