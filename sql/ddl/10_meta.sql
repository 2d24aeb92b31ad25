-- One row per (source, window): what the pipeline knows about that snapshot.
-- status: observed (loaded from a live or sample snapshot), imported (from an archive), missing (never
-- observed: no rows exist for it), quarantined (landed but rejected; kept in the landing zone).
CREATE TABLE IF NOT EXISTS meta.snapshot_log (
    source           VARCHAR   NOT NULL,
    window_start     TIMESTAMP NOT NULL,  -- UTC
    window_key       VARCHAR   NOT NULL,
    status           VARCHAR   NOT NULL,
    origin           VARCHAR,             -- live | synthetic_sample | imported
    n_records        BIGINT,
    n_files          INTEGER,
    fetched_at       TIMESTAMP,           -- UTC, when the snapshot was taken
    loaded_at        TIMESTAMP NOT NULL,  -- UTC, when this row was written
    landing_path     VARCHAR,
    load_fingerprint VARCHAR,             -- manifest sha256 + parser version: unchanged -> no reload
    message          VARCHAR,
    PRIMARY KEY (source, window_start)
);

-- One row per window: when a run last finished building the whole graph (staging, marts) over it. Written by
-- the last warehouse step of every run (published/warehouse) for the run's range, so a window whose raw rows
-- were loaded (meta.snapshot_log.loaded_at) after its last build -- a run killed or failed mid-graph -- is
-- pending: `hubsignal status` lists it and the next run of its range rebuilds it.
CREATE TABLE IF NOT EXISTS meta.model_builds (
    window_start TIMESTAMP NOT NULL PRIMARY KEY,  -- UTC
    window_key   VARCHAR   NOT NULL,
    built_at     TIMESTAMP NOT NULL,              -- UTC
    run_id       VARCHAR
);
