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
