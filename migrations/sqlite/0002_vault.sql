-- What the vault needs beyond the graph: frozen citekeys and each crawl's graph metrics.

CREATE TABLE citekeys (
    paper_id TEXT PRIMARY KEY NOT NULL,
    citekey TEXT NOT NULL,
    citekey_key TEXT NOT NULL UNIQUE,             -- lower-cased: unique case-insensitively
    updated_at INTEGER NOT NULL
);

CREATE TABLE crawl_metrics (
    crawl_id INTEGER NOT NULL,
    paper_id TEXT NOT NULL,
    depth INTEGER NOT NULL,
    cited_in_crawl INTEGER NOT NULL,              -- members of the crawl citing it
    cites_in_crawl INTEGER NOT NULL,              -- members of the crawl it cites
    pagerank DOUBLE PRECISION NOT NULL,
    pagerank_rank INTEGER NOT NULL,               -- 1 = most central
    PRIMARY KEY (crawl_id, paper_id)
);
CREATE INDEX crawl_metrics_paper ON crawl_metrics (paper_id);
