-- Time series for the console's charts: every few seconds serve samples each queue
-- (one row per queue and sampling instant; replicas sampling the same instant insert
-- it once). Rows older than a week are pruned by the daily housekeeping.

CREATE TABLE queue_samples (
    at BIGINT NOT NULL,                             -- unix seconds, a multiple of the interval
    queue TEXT NOT NULL,
    pending BIGINT NOT NULL,
    scheduled BIGINT NOT NULL,
    running BIGINT NOT NULL,
    retrying BIGINT NOT NULL,
    dead BIGINT NOT NULL,
    done BIGINT NOT NULL,                           -- jobs finished since the previous sample
    failed BIGINT NOT NULL,                         -- attempts failed since the previous sample
    mean_run_ms BIGINT,                             -- mean run time of those finished, NULL if none
    PRIMARY KEY (at, queue)
);
