-- Summaries, cached by what they were made from, and what became of each paper's PDF.

CREATE TABLE summaries (
    paper_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,                      -- SHA-256 of the text summarized
    model TEXT NOT NULL,                          -- LLM model, or refnet-extractive
    prompt_version TEXT NOT NULL,
    source TEXT NOT NULL,                         -- pdf | abstract | tldr
    body TEXT NOT NULL,                           -- JSON: tldr, problem, method, results, limitations
    created_at INTEGER NOT NULL,
    PRIMARY KEY (paper_id, text_hash, model, prompt_version)
);
CREATE INDEX summaries_latest ON summaries (paper_id, created_at);

CREATE TABLE pdfs (
    paper_id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,                            -- the open-access URL this state is for
    status TEXT NOT NULL,                         -- text | rejected | failed
    reason TEXT,                                  -- why no text came of it
    file TEXT,                                    -- where the PDF is kept, vault-relative
    pages INTEGER,
    chars INTEGER,
    text_hash TEXT,
    fetched_at INTEGER NOT NULL
);

-- The run whose summary job last finished for this member (done or given up).
ALTER TABLE crawl_members ADD COLUMN summarized_run INTEGER;
