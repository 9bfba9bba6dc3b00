-- The operations console: queues an operator paused (workers stop claiming from them
-- while a row is here; their jobs stay queued), and what each worker process says about
-- itself when it starts (apalis's own registry knows only its name, queue and heartbeat).

CREATE TABLE queue_pauses (
    queue TEXT PRIMARY KEY NOT NULL,              -- crawl | summarize | render
    paused_at INTEGER NOT NULL
);

CREATE TABLE worker_info (
    worker_id TEXT PRIMARY KEY NOT NULL,          -- the apalis worker name
    queue TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    concurrency INTEGER NOT NULL,
    started_at INTEGER NOT NULL
);
