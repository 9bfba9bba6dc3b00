-- Time series for the console's charts: every few seconds serve samples each queue
-- (one row per queue and sampling instant; replicas sampling the same instant insert
-- it once). Rows older than a week are pruned by the daily housekeeping.

CREATE TABLE queue_samples (
    at INTEGER NOT NULL,                             -- unix seconds, a multiple of the interval
    queue TEXT NOT NULL,
    pending INTEGER NOT NULL,
    scheduled INTEGER NOT NULL,
    running INTEGER NOT NULL,
    retrying INTEGER NOT NULL,
    dead INTEGER NOT NULL,
    done INTEGER NOT NULL,                           -- jobs finished since the previous sample
    failed INTEGER NOT NULL,                         -- attempts failed since the previous sample
    mean_run_ms INTEGER,                             -- mean run time of those finished, NULL if none
    PRIMARY KEY (at, queue)
);
