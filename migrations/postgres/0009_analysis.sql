-- A crawl's graph analysis (see src/graph/analysis.rs): when it last ran and on what
-- (a fingerprint of members, edges and texts, so an unchanged graph is not analysed
-- again), each member's similarity to the seeds, cluster and most similar papers, the
-- prior and derivative works, and the clusters (ids stable across runs; a label the user
-- set is kept while the cluster lasts).

CREATE TABLE crawl_analysis (
    crawl_id BIGINT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    runs BIGINT NOT NULL,                        -- times analysed
    next_cluster_id BIGINT NOT NULL,             -- ids are never reused
    analysed_at BIGINT NOT NULL
);

CREATE TABLE analysis_papers (
    crawl_id BIGINT NOT NULL,
    paper_id TEXT NOT NULL,
    similarity DOUBLE PRECISION NOT NULL,                     -- 0–1, to the nearest seed
    cluster_id BIGINT,                           -- NULL = unclustered
    cluster_rank BIGINT,                         -- 1 = the cluster's top paper
    similar_papers TEXT NOT NULL DEFAULT '[]',           -- JSON [[paper id, score], …], best first
    PRIMARY KEY (crawl_id, paper_id)
);

CREATE TABLE analysis_works (
    crawl_id BIGINT NOT NULL,
    kind TEXT NOT NULL,                           -- prior | derivative
    rank BIGINT NOT NULL,                        -- 1 = first
    paper_id TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,                          -- members behind it
    PRIMARY KEY (crawl_id, kind, rank)
);

CREATE TABLE analysis_clusters (
    crawl_id BIGINT NOT NULL,
    cluster_id BIGINT NOT NULL,
    computed_label TEXT NOT NULL,
    user_label TEXT,                              -- set by the user; wins over the computed one
    terms TEXT NOT NULL DEFAULT '[]',             -- JSON list, most distinctive first
    top_paper TEXT,
    size BIGINT NOT NULL,
    neighbours TEXT NOT NULL DEFAULT '[]',        -- JSON list of cluster ids, closest first
    PRIMARY KEY (crawl_id, cluster_id)
);
