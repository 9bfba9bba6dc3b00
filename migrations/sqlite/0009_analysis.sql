-- A crawl's graph analysis (see src/graph/analysis.rs): when it last ran and on what
-- (a fingerprint of members, edges and texts, so an unchanged graph is not analysed
-- again), each member's similarity to the seeds, cluster and most similar papers, the
-- prior and derivative works, and the clusters (ids stable across runs; a label the user
-- set is kept while the cluster lasts).

CREATE TABLE crawl_analysis (
    crawl_id INTEGER PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    runs INTEGER NOT NULL,                        -- times analysed
    next_cluster_id INTEGER NOT NULL,             -- ids are never reused
    analysed_at INTEGER NOT NULL
);

CREATE TABLE analysis_papers (
    crawl_id INTEGER NOT NULL,
    paper_id TEXT NOT NULL,
    similarity REAL NOT NULL,                     -- 0–1, to the nearest seed
    cluster_id INTEGER,                           -- NULL = unclustered
    cluster_rank INTEGER,                         -- 1 = the cluster's top paper
    similar_papers TEXT NOT NULL DEFAULT '[]',           -- JSON [[paper id, score], …], best first
    PRIMARY KEY (crawl_id, paper_id)
);

CREATE TABLE analysis_works (
    crawl_id INTEGER NOT NULL,
    kind TEXT NOT NULL,                           -- prior | derivative
    rank INTEGER NOT NULL,                        -- 1 = first
    paper_id TEXT NOT NULL,
    score REAL NOT NULL,                          -- members behind it
    PRIMARY KEY (crawl_id, kind, rank)
);

CREATE TABLE analysis_clusters (
    crawl_id INTEGER NOT NULL,
    cluster_id INTEGER NOT NULL,
    computed_label TEXT NOT NULL,
    user_label TEXT,                              -- set by the user; wins over the computed one
    terms TEXT NOT NULL DEFAULT '[]',             -- JSON list, most distinctive first
    top_paper TEXT,
    size INTEGER NOT NULL,
    neighbours TEXT NOT NULL DEFAULT '[]',        -- JSON list of cluster ids, closest first
    PRIMARY KEY (crawl_id, cluster_id)
);
