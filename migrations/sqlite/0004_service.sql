-- The service: refreshes (each one a run of its crawl), what the crawl's papers looked
-- like when one began (so its what's-new note can say what moved), and which scheduled
-- occurrence some replica has claimed (so a nightly refresh runs once, however many
-- replicas fire).

CREATE TABLE refreshes (
    crawl_id INTEGER NOT NULL,
    run INTEGER NOT NULL,
    trigger TEXT NOT NULL,                        -- schedule | command | api
    started_at INTEGER NOT NULL,
    previous_at INTEGER,                          -- when the run before it finished
    PRIMARY KEY (crawl_id, run)
);

CREATE TABLE refresh_before (
    crawl_id INTEGER NOT NULL,
    run INTEGER NOT NULL,                         -- the refresh's run
    paper_id TEXT NOT NULL,
    citation_count INTEGER,
    influential_citation_count INTEGER,
    reference_count INTEGER,
    PRIMARY KEY (crawl_id, run, paper_id)
);

CREATE TABLE schedule_claims (
    name TEXT NOT NULL,                           -- refresh | prune
    slot TEXT NOT NULL,                           -- the occurrence, RFC 3339 UTC
    owner TEXT NOT NULL,                          -- the process that claimed it
    claimed_at INTEGER NOT NULL,
    PRIMARY KEY (name, slot)
);
