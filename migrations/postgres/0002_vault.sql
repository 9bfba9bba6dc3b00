-- What the vault needs beyond the graph: frozen citekeys and each crawl's graph metrics.

CREATE TABLE citekeys (
    paper_id TEXT PRIMARY KEY NOT NULL,
    citekey TEXT NOT NULL,
    citekey_key TEXT NOT NULL UNIQUE,             -- lower-cased: unique case-insensitively
    updated_at BIGINT NOT NULL
);

CREATE TABLE crawl_metrics (
    crawl_id BIGINT NOT NULL,
    paper_id TEXT NOT NULL,
    depth BIGINT NOT NULL,
    cited_in_crawl BIGINT NOT NULL,              -- members of the crawl citing it
    cites_in_crawl BIGINT NOT NULL,              -- members of the crawl it cites
    pagerank DOUBLE PRECISION NOT NULL,
    pagerank_rank BIGINT NOT NULL,               -- 1 = most central
    PRIMARY KEY (crawl_id, paper_id)
);
CREATE INDEX crawl_metrics_paper ON crawl_metrics (paper_id);
