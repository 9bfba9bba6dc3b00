-- The citation graph and the crawls over it. Integers are unix seconds or counts.

CREATE TABLE papers (
    paper_id TEXT PRIMARY KEY NOT NULL,          -- the 40-hex S2 id
    corpus_id INTEGER,
    doi TEXT,                                     -- lower-cased
    arxiv TEXT,                                   -- without version
    external_ids TEXT NOT NULL DEFAULT '{}',      -- JSON object as S2 sent it
    title TEXT NOT NULL DEFAULT '',
    abstract TEXT,
    tldr TEXT,
    venue TEXT,
    year INTEGER,
    publication_date TEXT,
    journal TEXT,
    journal_volume TEXT,
    journal_pages TEXT,
    citation_count INTEGER,
    reference_count INTEGER,
    influential_citation_count INTEGER,
    fields_of_study TEXT NOT NULL DEFAULT '[]',   -- JSON list
    publication_types TEXT NOT NULL DEFAULT '[]', -- JSON list
    pdf_url TEXT,
    is_open_access BOOLEAN,
    references_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    citations_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    fetched_at INTEGER,                           -- last full fetch; NULL = known only from a list
    citations_fetched_at INTEGER,                 -- last time its citing papers were listed
    updated_at INTEGER NOT NULL
);
CREATE INDEX papers_doi ON papers (doi);
CREATE INDEX papers_arxiv ON papers (arxiv);
CREATE INDEX papers_corpus ON papers (corpus_id);

CREATE TABLE authors (
    author_id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE paper_authors (
    paper_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    author_id TEXT,                               -- S2 leaves some authors without an id
    name TEXT NOT NULL,
    PRIMARY KEY (paper_id, ord)
);
CREATE INDEX paper_authors_author ON paper_authors (author_id);

CREATE TABLE citations (
    citing TEXT NOT NULL,
    cited TEXT NOT NULL,
    is_influential BOOLEAN,                       -- known only from paged lists
    PRIMARY KEY (citing, cited)
);
CREATE INDEX citations_cited ON citations (cited);

CREATE TABLE crawls (
    crawl_id INTEGER PRIMARY KEY AUTOINCREMENT,
    seed_id TEXT NOT NULL,
    seed_input TEXT NOT NULL,
    depth INTEGER NOT NULL,
    direction TEXT NOT NULL,                      -- references | citations | both
    max_papers INTEGER NOT NULL DEFAULT 0,        -- 0 = no budget
    summarize BOOLEAN NOT NULL DEFAULT TRUE,
    run INTEGER NOT NULL DEFAULT 1,               -- bumped by every start and refresh
    status TEXT NOT NULL,                         -- running | done | failed
    fetch_cutoff INTEGER NOT NULL,                -- papers fetched before this are fetched again
    error TEXT,
    created_at INTEGER NOT NULL,
    run_started_at INTEGER NOT NULL,
    finished_at INTEGER,
    UNIQUE (seed_id, depth, direction, max_papers)
);

CREATE TABLE crawl_members (
    crawl_id INTEGER NOT NULL REFERENCES crawls (crawl_id),
    paper_id TEXT NOT NULL,
    depth INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    added_run INTEGER NOT NULL,
    checked_run INTEGER,                          -- the run that last fetched (or missed) it
    missing TEXT,                                 -- why S2 could not give its record
    PRIMARY KEY (crawl_id, paper_id)
);
CREATE INDEX crawl_members_depth ON crawl_members (crawl_id, depth);

CREATE TABLE crawl_left_out (
    crawl_id INTEGER NOT NULL REFERENCES crawls (crawl_id),
    paper_id TEXT NOT NULL,
    depth INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, paper_id)
);

CREATE TABLE notes (
    note_key TEXT PRIMARY KEY NOT NULL,           -- paper:<id>, author:<id>, index:<crawl>, …
    path TEXT NOT NULL,                           -- vault-relative, with / separators
    name_key TEXT NOT NULL UNIQUE,                -- lower-cased basename: unique vault-wide
    content_hash TEXT,
    updated_at INTEGER NOT NULL
);
